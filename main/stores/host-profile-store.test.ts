import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { UsageError } from '../../core/errors';
import { HOST_PROFILES_EXPORT_FORMAT, ProfileImportError } from './host-profile-exchange';
import type { HostProfileStoreOptions } from './host-profile-store';
import { HostProfileStore } from './host-profile-store';
import type { StoreFileSystem } from './store-file-system';
import { nodeStoreFileSystem } from './store-file-system';

const NOW = new Date('2025-05-06T07:08:09.010Z');

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-hosts-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function openStore(options: HostProfileStoreOptions = {}): Promise<HostProfileStore> {
  const opening = await HostProfileStore.open({ directory, now: () => NOW, ...options });
  if (opening.status !== 'ready') throw opening.error;
  return opening.store;
}

const hostsFile = () => path.join(directory, 'hosts.json');
const readDocument = async () => JSON.parse(await readFile(hostsFile(), 'utf8')) as Record<string, unknown>;

describe('HostProfileStore', () => {
  it('adds, updates, duplicates and deletes hosts, and each change is on disk when its promise settles', async () => {
    const store = await openStore();
    const web = await store.add({ name: 'web01', address: 'web01.corp.example.com', user: 'CORP\\alice' });
    expect(web).toMatchObject({ name: 'web01', port: 5986, auth: 'negotiate' });
    expect(await readDocument()).toMatchObject({ version: 2, hosts: [{ id: web.id, name: 'web01' }] });

    await store.markUsed(web.id);
    const updated = await store.update(web.id, { name: 'web01 (HTTP)', address: 'web01', transport: 'http' });
    expect(updated).toMatchObject({ id: web.id, port: 5985, user: '', lastUsed: NOW.toISOString() });

    const copy = await store.duplicate(web.id);
    expect(copy).toMatchObject({ name: 'web01 (HTTP) (copy)', address: 'web01', transport: 'http' });
    expect(copy.id).not.toBe(web.id);
    expect(copy.lastUsed).toBeUndefined();
    expect(store.hosts.map((host) => host.id)).toEqual([web.id, copy.id]);

    expect(await store.delete(web.id)).toBe(true);
    expect(await store.delete(web.id)).toBe(false);
    const reopened = await openStore();
    expect(reopened.hosts).toEqual([copy]);
  });

  it('keeps a long name within its limit when duplicating', async () => {
    const store = await openStore();
    const host = await store.add({ name: 'x'.repeat(100), address: 'a' });
    expect((await store.duplicate(host.id)).name).toBe(`${'x'.repeat(93)} (copy)`);
  });

  it('rejects an invalid host with the form problems and changes nothing', async () => {
    const store = await openStore();
    const rejected = store.add({ name: '', address: 'https://x/wsman' });
    await expect(rejected).rejects.toBeInstanceOf(ZodError);
    await expect(rejected).rejects.toThrow(/Give the host a name[\s\S]*without https:\/\//);
    expect(store.hosts).toEqual([]);
    await expect(readFile(hostsFile())).rejects.toThrow(/ENOENT/);
    await expect(store.update(randomUUID(), { name: 'a', address: 'a' })).rejects.toThrow(UsageError);
  });

  it('groups hosts; deleting a group keeps its hosts, ungrouped', async () => {
    const store = await openStore();
    const group = await store.addGroup('Domain controllers');
    const dc = await store.add({ name: 'dc01', address: 'dc01', groupId: group.id });
    await expect(store.add({ name: 'x', address: 'x', groupId: randomUUID() })).rejects.toThrow(
      /refers to no listed group/,
    );
    expect(await store.renameGroup(group.id, 'DCs')).toEqual({ id: group.id, name: 'DCs' });
    await store.deleteGroup(group.id);
    expect(store.groups).toEqual([]);
    expect(store.host(dc.id)?.groupId).toBeUndefined();
    expect((await openStore()).host(dc.id)).toEqual(store.host(dc.id));
  });

  it('migrates a version 1 file (useSsl) to version 2 (transport), keeping the old file as a backup', async () => {
    const id = randomUUID();
    const v1 = JSON.stringify({
      version: 1,
      hosts: [
        { id, name: 'legacy', address: 'legacy.corp.example.com', useSsl: false, auth: 'ntlm', user: 'CORP\\bob' },
        { id: randomUUID(), name: 'tls', address: 'tls', port: 443, useSsl: true },
      ],
    });
    await writeFile(hostsFile(), v1);
    const opening = await HostProfileStore.open({ directory, now: () => NOW });
    if (opening.status !== 'ready') throw opening.error;
    expect(opening.upgrade).toEqual({
      fromVersion: 1,
      backupPath: path.join(directory, 'hosts.v1-2025-05-06T07-08-09.010Z.json'),
    });
    expect(opening.store.hosts.map(({ transport, port, auth }) => ({ transport, port, auth }))).toEqual([
      { transport: 'http', port: 5985, auth: 'ntlm' },
      { transport: 'https', port: 443, auth: 'negotiate' },
    ]);
    const written = await readDocument();
    expect(written).toMatchObject({ version: 2, groups: [] });
    expect(JSON.stringify(written)).not.toContain('useSsl');
    expect(await readFile(opening.upgrade!.backupPath, 'utf8')).toBe(v1);
  });

  it('reports a version 1 file it cannot migrate as corrupt instead of guessing', async () => {
    await writeFile(hostsFile(), JSON.stringify({ version: 1, hosts: [{ name: 'no-ssl-flag', address: 'a' }] }));
    const opening = await HostProfileStore.open({ directory, now: () => NOW });
    expect(opening).toMatchObject({ status: 'corrupt', error: { reason: 'invalid' } });
    expect(opening.status === 'corrupt' && opening.error.message).toMatch(
      /hosts\.0\.useSsl: useSsl must be true or false/,
    );
  });

  it('recovers from a corrupt file only when told to, with the original bytes kept', async () => {
    await writeFile(hostsFile(), '{"version": 2, "hosts": [');
    const opening = await HostProfileStore.open({ directory, now: () => NOW });
    if (opening.status !== 'corrupt') throw new Error('expected corrupt');
    expect(opening.error.message).toMatch(/^The host profiles file .*hosts\.json is damaged: it is not readable JSON/);
    expect(await readFile(hostsFile(), 'utf8')).toBe('{"version": 2, "hosts": [');
    const store = await opening.startEmpty();
    await store.add({ name: 'fresh', address: 'fresh' });
    expect(await readFile(opening.error.backupPath, 'utf8')).toBe('{"version": 2, "hosts": [');
    expect((await openStore()).hosts.map((host) => host.name)).toEqual(['fresh']);
  });

  it('coalesces concurrent changes: one write in flight, one waiting with the latest state', async () => {
    let writes = 0;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const counting: StoreFileSystem = {
      ...nodeStoreFileSystem,
      createSyncedFile: async (filePath, data) => {
        writes++;
        if (writes === 1) await firstHeld;
        return nodeStoreFileSystem.createSyncedFile(filePath, data);
      },
    };
    const store = await openStore({ fs: counting });
    const first = store.add({ name: 'host-0', address: 'host-0' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const rest = Array.from({ length: 20 }, (_, index) => store.add({ name: `host-${index + 1}`, address: 'a' }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(writes).toBe(1);
    releaseFirst();
    await Promise.all([first, ...rest]);
    expect(writes).toBe(2);
    expect(((await readDocument())['hosts'] as unknown[]).length).toBe(21);
    expect((await readdir(directory)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('host profile export and import', () => {
  it('round-trips profiles and groups under new ids, without usage times or secrets', async () => {
    const source = await openStore();
    const group = await source.addGroup('Lab');
    const lab = await source.add({
      name: 'lab',
      address: 'lab.example.test',
      groupId: group.id,
      auth: 'credssp',
      user: 'LAB\\alice',
      advanced: { credSspConsent: true, proxyUrl: 'http://proxy:3128' },
    });
    await source.add({ name: 'loose', address: '192.0.2.7', transport: 'http' });
    await source.markUsed(lab.id);
    const exported = source.exportProfiles();
    const parsed = JSON.parse(exported) as { format: string; version: number; hosts: Record<string, unknown>[] };
    expect(parsed).toMatchObject({ format: HOST_PROFILES_EXPORT_FORMAT, version: 2, exportedAt: NOW.toISOString() });
    expect(parsed.hosts.every((host) => !('lastUsed' in host))).toBe(true);

    await rm(path.join(directory, 'hosts.json'));
    const target = await openStore();
    const existing = await target.addGroup('lab');
    const imported = await target.importProfiles(exported);
    expect(imported).toHaveLength(2);
    const strip = ({ id: _id, groupId: _groupId, lastUsed: _lastUsed, ...rest }: (typeof imported)[number]) => rest;
    expect(imported.map(strip)).toEqual(source.hosts.map(strip));
    expect(imported[0]!.groupId).toBe(existing.id); // joined the same-named group
    expect(imported.map((host) => host.id)).not.toContain(lab.id);
    expect(target.groups).toEqual([existing]);

    const again = await target.importProfiles(exported);
    expect(new Set([...imported, ...again].map((host) => host.id)).size).toBe(4);
  });

  it('exports only the chosen hosts and their groups', async () => {
    const store = await openStore();
    const [a, b] = [await store.addGroup('A'), await store.addGroup('B')];
    const inA = await store.add({ name: 'in-a', address: 'a', groupId: a.id });
    await store.add({ name: 'in-b', address: 'b', groupId: b.id });
    const exported = JSON.parse(store.exportProfiles([inA.id])) as { groups: unknown[]; hosts: { name: string }[] };
    expect(exported.groups).toEqual([a]);
    expect(exported.hosts.map((host) => host.name)).toEqual(['in-a']);
    expect(() => store.exportProfiles([randomUUID()])).toThrow(UsageError);
  });

  it('imports a version 1 export through the same migration', async () => {
    const store = await openStore();
    const v1Export = {
      format: HOST_PROFILES_EXPORT_FORMAT,
      version: 1,
      hosts: [{ id: randomUUID(), name: 'old', address: 'old', useSsl: true }],
    };
    const [host] = await store.importProfiles(JSON.stringify(v1Export));
    expect(host).toMatchObject({ name: 'old', transport: 'https', port: 5986 });
  });

  it('refuses a file with a secret in it, or anything else wrong, importing nothing', async () => {
    const store = await openStore();
    const withPassword = {
      format: HOST_PROFILES_EXPORT_FORMAT,
      version: 2,
      hosts: [
        { id: randomUUID(), name: 'fine', address: 'fine' },
        { id: randomUUID(), name: 'leaky', address: 'leaky', password: 'hunter2' },
      ],
    };
    const refusal = await store.importProfiles(JSON.stringify(withPassword)).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ProfileImportError);
    expect((refusal as ProfileImportError).problems).toEqual([
      { field: 'hosts.1', message: expect.stringMatching(/^Unknown setting "password": .*never passwords/) },
    ]);
    expect((refusal as Error).message).not.toContain('hunter2');
    await expect(store.importProfiles('not json')).rejects.toThrow('The file is not JSON.');
    await expect(store.importProfiles('{"version":2,"hosts":[]}')).rejects.toThrow(
      'not a WinRM Desk host profile export',
    );
    await expect(
      store.importProfiles(JSON.stringify({ format: HOST_PROFILES_EXPORT_FORMAT, version: 9, hosts: [] })),
    ).rejects.toThrow(/newer WinRM Desk/);
    expect(store.hosts).toEqual([]);
  });
});
