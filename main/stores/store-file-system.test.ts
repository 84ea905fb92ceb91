import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreFileSystem } from './store-file-system';
import { nodeStoreFileSystem, removeAbandonedTemporaryFiles, writeFileAtomically } from './store-file-system';

let directory: string;
let target: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-atomic-'));
  target = path.join(directory, 'hosts.json');
  await writeFile(target, 'old content');
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const encode = (text: string) => new TextEncoder().encode(text);

describe('writeFileAtomically', () => {
  it('replaces the file and leaves nothing else behind', async () => {
    await writeFileAtomically(nodeStoreFileSystem, target, encode('new content'));
    expect(await readFile(target, 'utf8')).toBe('new content');
    expect(await readdir(directory)).toEqual(['hosts.json']);
  });

  it('fsyncs the temporary file before the rename and the directory after it', async () => {
    const steps: string[] = [];
    const fs: StoreFileSystem = {
      ...nodeStoreFileSystem,
      createSyncedFile: async (filePath, data) => {
        await nodeStoreFileSystem.createSyncedFile(filePath, data);
        steps.push(`synced ${path.basename(filePath).replace(/\.[-0-9a-f]{36}\./, '.<id>.')}`);
      },
      rename: async (from, to) => {
        await nodeStoreFileSystem.rename(from, to);
        steps.push(`renamed over ${path.basename(to)}`);
      },
      syncDirectory: async (dir) => {
        await nodeStoreFileSystem.syncDirectory(dir);
        steps.push(`synced directory ${dir === directory ? 'of the file' : dir}`);
      },
    };
    await writeFileAtomically(fs, target, encode('new'));
    expect(steps).toEqual(['synced .hosts.json.<id>.tmp', 'renamed over hosts.json', 'synced directory of the file']);
  });

  it('leaves the old file intact when the process dies between writing the temporary file and the rename', async () => {
    let reachedRename!: () => void;
    const atRename = new Promise<void>((resolve) => (reachedRename = resolve));
    // The "crash": rename is never carried out and nothing after it (cleanup included) ever runs.
    const dying: StoreFileSystem = {
      ...nodeStoreFileSystem,
      rename: () => {
        reachedRename();
        return new Promise<never>(() => {});
      },
    };
    void writeFileAtomically(dying, target, encode('new content'));
    await atRename;

    expect(await readFile(target, 'utf8')).toBe('old content');
    const leftovers = (await readdir(directory)).filter((name) => name !== 'hosts.json');
    expect(leftovers).toHaveLength(1);
    expect(await readFile(path.join(directory, leftovers[0]!), 'utf8')).toBe('new content');

    // The next start clears what the dead writer left, and only that.
    await writeFile(path.join(directory, 'notes.tmp'), 'not ours');
    await removeAbandonedTemporaryFiles(nodeStoreFileSystem, target);
    expect((await readdir(directory)).sort()).toEqual(['hosts.json', 'notes.tmp']);
    expect(await readFile(target, 'utf8')).toBe('old content');
  });

  it('reports a failed rename, keeps the old file and removes the temporary one', async () => {
    const failing: StoreFileSystem = {
      ...nodeStoreFileSystem,
      rename: async () => {
        throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
      },
    };
    await expect(writeFileAtomically(failing, target, encode('new'))).rejects.toThrow('EXDEV');
    expect(await readFile(target, 'utf8')).toBe('old content');
    expect(await readdir(directory)).toEqual(['hosts.json']);
  });

  it('leaves one complete version or the other when a writing process is killed at random moments', async () => {
    // A real child process writes two large alternating contents in a loop; SIGKILL lands mid-write.
    const script = path.join(directory, 'writer.mjs');
    await build({
      stdin: {
        contents: `
          import { nodeStoreFileSystem, writeFileAtomically } from './store-file-system';
          const [file] = process.argv.slice(2);
          const versions = ['a', 'b'].map((letter) => new TextEncoder().encode(letter.repeat(4 << 20)));
          for (let round = 0; ; round++) {
            await writeFileAtomically(nodeStoreFileSystem, file, versions[round % 2]);
            if (round === 0) process.stdout.write('ready\\n');
          }`,
        resolveDir: import.meta.dirname,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: script,
      logLevel: 'silent',
    });
    const kills = 8;
    const seen = new Set<string>();
    for (let kill = 0; kill < kills; kill++) {
      const child = spawn(process.execPath, [script, target], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
      });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 40));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;

      const content = await readFile(target, 'latin1');
      expect(content.length).toBe(4 << 20);
      expect(content === 'a'.repeat(4 << 20) || content === 'b'.repeat(4 << 20)).toBe(true);
      seen.add(content[0]!);
      await removeAbandonedTemporaryFiles(nodeStoreFileSystem, target);
    }
    expect((await readdir(directory)).sort()).toEqual(['hosts.json', 'writer.mjs']);
    expect(seen.size).toBeGreaterThan(0);
  }, 30_000);
});
