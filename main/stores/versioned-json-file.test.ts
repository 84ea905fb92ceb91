import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UsageError } from '../../core/errors';
import type { DocumentMigration } from './document-migration';
import { migrationChain, upgradeDocument } from './document-migration';
import type { StoreFileSystem } from './store-file-system';
import { nodeStoreFileSystem } from './store-file-system';
import type { DocumentFormat } from './versioned-json-file';
import { CorruptDocumentError, openDocumentStore, VersionedJsonFile } from './versioned-json-file';

// A small format with two versions: v1 `{ names: "a,b" }`, v2 `{ names: ["a", "b"] }`.
const notesSchema = z.strictObject({ version: z.literal(2), names: z.array(z.string().min(1)) });
type Notes = z.output<typeof notesSchema>;
const notesFormat: DocumentFormat<Notes> = {
  title: 'notes',
  currentVersion: 2,
  schema: notesSchema,
  migrations: [
    {
      from: 1,
      migrate: (document) => {
        const v1 = z.strictObject({ version: z.literal(1), names: z.string() }).parse(document);
        return { version: 2, names: v1.names.split(',') };
      },
    },
  ],
  empty: () => ({ version: 2, names: [] }),
};

const NOW = new Date('2025-04-05T06:07:08.009Z');
const STAMP = '2025-04-05T06-07-08.009Z';

let directory: string;
let filePath: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-document-'));
  filePath = path.join(directory, 'notes.json');
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const notesFile = (fs: StoreFileSystem = nodeStoreFileSystem) =>
  new VersionedJsonFile(filePath, notesFormat, { fs, now: () => NOW });

describe('VersionedJsonFile', () => {
  it('starts from the empty document when there is no file, creating the directory', async () => {
    filePath = path.join(directory, 'nested', 'notes.json');
    expect(await notesFile().load()).toEqual({ status: 'absent', document: { version: 2, names: [] } });
    expect(await readdir(path.join(directory, 'nested'))).toEqual([]);
  });

  it('saves readable JSON and loads it back', async () => {
    const file = notesFile();
    await file.save({ version: 2, names: ['a', 'ü'] });
    expect(await readFile(filePath, 'utf8')).toBe('{\n  "version": 2,\n  "names": [\n    "a",\n    "ü"\n  ]\n}\n');
    expect(await notesFile().load()).toEqual({ status: 'loaded', document: { version: 2, names: ['a', 'ü'] } });
  });

  it('reads a file that starts with a byte order mark', async () => {
    await writeFile(filePath, '\uFEFF{"version":2,"names":["x"]}');
    expect(await notesFile().load()).toMatchObject({ status: 'loaded', document: { names: ['x'] } });
  });

  it('upgrades an older version, keeping the old bytes in a backup before rewriting the file', async () => {
    const v1 = '{"version":1,"names":"a,b"}';
    await writeFile(filePath, v1);
    const load = await notesFile().load();
    const backupPath = path.join(directory, `notes.v1-${STAMP}.json`);
    expect(load).toEqual({
      status: 'loaded',
      document: { version: 2, names: ['a', 'b'] },
      upgrade: { fromVersion: 1, backupPath },
    });
    expect(await readFile(backupPath, 'utf8')).toBe(v1);
    expect(JSON.parse(await readFile(filePath, 'utf8'))).toEqual({ version: 2, names: ['a', 'b'] });
    expect(await notesFile().load()).toEqual({ status: 'loaded', document: { version: 2, names: ['a', 'b'] } });
  });

  const corruptions: [string, string | Uint8Array, string, RegExp][] = [
    ['bad JSON', '{"version":2,"names":[a]}', 'not-json', /not readable JSON/],
    ['a truncated file', '{"version":2,"names":["alpha","be', 'not-json', /not readable JSON/],
    ['an empty file', '', 'not-json', /not readable JSON/],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 'not-json', /not readable JSON/],
    ['a schema violation', '{"version":2,"names":[""]}', 'invalid', /names\.0: /],
    ['an unknown key', '{"version":2,"names":[],"password":"x"}', 'invalid', /document: Unrecognized key: "password"/],
    ['no version', '{"names":[]}', 'invalid', /no valid "version" number/],
    ['not an object', '[1,2]', 'invalid', /not a JSON object/],
    ['an invalid older version', '{"version":1,"names":7}', 'invalid', /names: /],
    [
      'a newer version',
      '{"version":3,"names":[],"tags":[]}',
      'newer-version',
      /newer WinRM Desk.*version 3.*up to version 2/,
    ],
  ];

  it.each(corruptions)(
    'reports %s, keeps its exact bytes in a backup and leaves the file untouched',
    async (_, content, reason, message) => {
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      await writeFile(filePath, bytes);
      const load = await notesFile().load();
      if (load.status !== 'corrupt') throw new Error(`expected corrupt, got ${load.status}`);
      const backupPath = path.join(directory, `notes.corrupt-${STAMP}.json`);
      expect(load.error).toBeInstanceOf(CorruptDocumentError);
      expect(load.error).toMatchObject({ reason, backupPath, filePath });
      expect(load.error.message).toMatch(message);
      expect(load.error.message).toContain(`Its contents were copied to ${backupPath}.`);
      expect(new Uint8Array(await readFile(backupPath))).toEqual(bytes);
      expect(new Uint8Array(await readFile(filePath))).toEqual(bytes);
    },
  );

  it('backs a corrupt file up once however often it is opened, and again when its content differs', async () => {
    await writeFile(filePath, 'garbage');
    const first = await notesFile().load();
    const again = await new VersionedJsonFile(filePath, notesFormat, {
      now: () => new Date(NOW.getTime() + 60_000),
    }).load();
    expect(again).toMatchObject({
      status: 'corrupt',
      error: { backupPath: (first as { error: CorruptDocumentError }).error.backupPath },
    });
    await writeFile(filePath, 'other garbage');
    const different = await notesFile().load();
    expect(different).toMatchObject({
      status: 'corrupt',
      error: { backupPath: path.join(directory, `notes.corrupt-${STAMP}-2.json`) },
    });
    expect((await readdir(directory)).sort()).toEqual([
      `notes.corrupt-${STAMP}-2.json`,
      `notes.corrupt-${STAMP}.json`,
      'notes.json',
    ]);
  });

  it('gives no store for a corrupt file until the caller chooses to start empty', async () => {
    await writeFile(filePath, '{"version":2,"names":[');
    const opening = await openDocumentStore(notesFile(), (file, document) => ({ file, document }));
    if (opening.status !== 'corrupt') throw new Error('expected a corrupt opening');
    expect(await readFile(filePath, 'utf8')).toBe('{"version":2,"names":[');

    const store = await opening.startEmpty();
    expect(store.document).toEqual({ version: 2, names: [] });
    expect(JSON.parse(await readFile(filePath, 'utf8'))).toEqual({ version: 2, names: [] });
    expect(await readFile(opening.error.backupPath, 'utf8')).toBe('{"version":2,"names":[');
    await expect(opening.startEmpty()).rejects.toThrow(UsageError);
  });

  it('refuses to save a document it could not load again', async () => {
    await expect(notesFile().save({ version: 2, names: [''] })).rejects.toThrow(
      /refusing to save invalid notes: names\.0/,
    );
    await expect(readFile(filePath)).rejects.toThrow(/ENOENT/);
  });

  it('keeps the previous file when a save fails, and saves again afterwards', async () => {
    await notesFile().save({ version: 2, names: ['kept'] });
    let failNext = true;
    const flaky: StoreFileSystem = {
      ...nodeStoreFileSystem,
      createSyncedFile: async (target, data) => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        return nodeStoreFileSystem.createSyncedFile(target, data);
      },
    };
    const file = notesFile(flaky);
    await expect(file.save({ version: 2, names: ['lost'] })).rejects.toThrow('ENOSPC');
    expect(JSON.parse(await readFile(filePath, 'utf8'))).toEqual({ version: 2, names: ['kept'] });
    await file.save({ version: 2, names: ['next'] });
    expect(JSON.parse(await readFile(filePath, 'utf8'))).toEqual({ version: 2, names: ['next'] });
  });
});

describe('migration chain', () => {
  const step = (from: number): DocumentMigration => ({
    from,
    migrate: (document) => ({ ...document, version: from + 1 }),
  });

  it('needs exactly one step from every version below the current one', () => {
    expect(migrationChain(3, [step(2), step(1)]).map((migration) => migration.from)).toEqual([1, 2]);
    expect(migrationChain(1, [])).toEqual([]);
    expect(() => migrationChain(3, [step(1)])).toThrow('need exactly one migration from version 2, have 0');
    expect(() => migrationChain(2, [step(1), step(1)])).toThrow('need exactly one migration from version 1, have 2');
    expect(() => migrationChain(2, [step(1), step(2)])).toThrow('a migration starts at or after version 2');
  });

  it('runs the steps from the document version on and insists each lands on the next version', () => {
    const chain = migrationChain(3, [step(1), step(2)]);
    expect(upgradeDocument({ version: 2, x: 1 }, 3, chain)).toEqual({ document: { version: 3, x: 1 }, fromVersion: 2 });
    const wrong: DocumentMigration = { from: 1, migrate: (document) => ({ ...document, version: 3 }) };
    expect(() => upgradeDocument({ version: 1 }, 2, [wrong])).toThrow(UsageError);
  });
});
