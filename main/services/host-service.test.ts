import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ContractError } from '../../core/contract/contract-error';
import type { HostList } from '../../core/contract/host-service';
import { createTestPki } from '../../e2e/support/pki';
import { openTestApp, temporaryDirectory } from './test-support/temporary-app';

let pki: ReturnType<typeof createTestPki>;
let directory: string;
let removeDirectory: () => Promise<void>;

beforeAll(() => {
  pki = createTestPki('web01.corp.example');
});
beforeEach(async () => {
  ({ directory, removeDirectory } = await temporaryDirectory());
});
afterEach(() => removeDirectory());

const draft = (name: string, extra: Record<string, unknown> = {}) => ({
  draft: { name, address: `${name}.corp.example`, ...extra },
});

async function rejection(promise: Promise<unknown>): Promise<ContractError> {
  const error = await promise.catch((caught: unknown) => caught);
  if (!(error instanceof ContractError)) throw new Error(`expected a ContractError, got ${String(error)}`);
  return error;
}

describe('HostService', () => {
  it('adds, updates, duplicates and lists hosts, announcing each change', async () => {
    const { services } = await openTestApp(directory);
    const changes: HostList[] = [];
    services.hosts.onDidChangeHosts((list) => changes.push(list));
    const web = await services.hosts.add(draft('web01', { user: 'CORP\\alice' }));
    expect(web).toMatchObject({ name: 'web01', port: 5986, transport: 'https', auth: 'negotiate' });
    const updated = await services.hosts.update({ id: web.id, ...draft('web01', { transport: 'http' }) });
    expect(updated).toMatchObject({ id: web.id, port: 5985, user: '' });
    const copy = await services.hosts.duplicate({ id: web.id });
    expect((await services.hosts.list()).hosts.map((host) => host.name)).toEqual(['web01', 'web01 (copy)']);
    expect(changes.map((list) => list.hosts.length)).toEqual([1, 1, 2]);
    expect(copy.id).not.toBe(web.id);
    const reopened = await openTestApp(directory);
    expect(await reopened.services.hosts.list()).toEqual(await services.hosts.list());
  });

  it('answers not-found for a host or group that does not exist, and invalid-input for bad values', async () => {
    const { services } = await openTestApp(directory);
    const missing = '3f0f3c1e-0b5a-4d7e-9a55-4c1f6f2b9d10';
    expect(await rejection(services.hosts.update({ id: missing, ...draft('x') }))).toMatchObject({ code: 'not-found' });
    expect(await rejection(services.hosts.delete({ id: missing }))).toMatchObject({ code: 'not-found' });
    expect(await rejection(services.hosts.renameGroup({ id: missing, name: 'g' }))).toMatchObject({
      code: 'not-found',
    });
    expect(await rejection(services.hosts.addGroup({ name: '  ' }))).toMatchObject({
      code: 'invalid-input',
      message: 'Give the group a name.',
      problems: [{ field: 'name', message: 'Give the group a name.' }],
    });
  });

  it('deleting a host forgets its secrets, pins and host-scoped CAs, and nothing of other hosts', async () => {
    const { services, credentialStore } = await openTestApp(directory);
    const web = await services.hosts.add(draft('web01', { user: 'alice' }));
    const other = await services.hosts.add(draft('other', { user: 'bob' }));
    for (const host of [web, other]) {
      await services.credentials.setSecret({ hostId: host.id, secret: `pw-${host.name}`, remember: true });
      await services.trust.importAuthority({ scope: { kind: 'host', hostId: host.id }, pem: pki.root.pem });
    }
    await services.hosts.delete({ id: web.id });
    expect(await credentialStore.has({ hostId: web.id, user: 'alice' })).toBe(false);
    expect(await credentialStore.get({ hostId: other.id, user: 'bob' })).toBe('pw-other');
    expect((await services.trust.list()).authorities.map((authority) => authority.scope)).toEqual([
      { kind: 'host', hostId: other.id },
    ]);
    expect((await services.hosts.list()).hosts.map((host) => host.id)).toEqual([other.id]);
    expect(await credentials(services, other.id)).toBe('pw-other');
  });

  it('keeps a host whose secret the keychain refuses to forget, and says why', async () => {
    const { services, credentialStore } = await openTestApp(directory);
    const web = await services.hosts.add(draft('web01'));
    credentialStore.forgetHost = async () => {
      const { CredentialStoreError } = await import('../stores/credential-store');
      throw new CredentialStoreError('could not list the keychain entries of winrm-desk: locked');
    };
    expect(await rejection(services.hosts.delete({ id: web.id }))).toMatchObject({
      code: 'keychain-unavailable',
      details: expect.stringContaining('locked'),
    });
    expect((await services.hosts.list()).hosts).toHaveLength(1);
  });

  it('deleting a group ungroups its hosts and forgets the CAs trusted for it', async () => {
    const { services } = await openTestApp(directory);
    const group = await services.hosts.addGroup({ name: 'Domain controllers' });
    const dc = await services.hosts.add(draft('dc01', { groupId: group.id }));
    await services.trust.importAuthority({ scope: { kind: 'group', groupId: group.id }, pem: pki.root.pem });
    await services.hosts.deleteGroup({ id: group.id });
    expect((await services.hosts.list()).groups).toEqual([]);
    expect((await services.hosts.list()).hosts[0]).toMatchObject({ id: dc.id });
    expect((await services.hosts.list()).hosts[0]?.groupId).toBeUndefined();
    expect((await services.trust.list()).authorities).toEqual([]);
  });

  it('searches every word in name, address, user, configuration and group name', async () => {
    const { services } = await openTestApp(directory);
    const group = await services.hosts.addGroup({ name: 'Paris' });
    await services.hosts.add(draft('web01', { groupId: group.id, user: 'CORP\\alice' }));
    await services.hosts.add(draft('jea01', { configurationName: 'JEA_Maintenance' }));
    const names = async (query: string) => (await services.hosts.search({ query })).map((host) => host.name);
    expect(await names('paris ALICE')).toEqual(['web01']);
    expect(await names('maintenance')).toEqual(['jea01']);
    expect(await names('corp.example')).toEqual(['web01', 'jea01']);
    expect(await names('paris maintenance')).toEqual([]);
    expect(await names('  ')).toEqual(['web01', 'jea01']);
  });

  it('lists the recently used hosts, most recent first', async () => {
    let clock = new Date('2025-03-01T10:00:00.000Z');
    const { services } = await openTestApp(directory, { now: () => clock });
    const [a, b, c] = [
      await services.hosts.add(draft('a')),
      await services.hosts.add(draft('b')),
      await services.hosts.add(draft('c')),
    ];
    for (const host of [a, c, b]) {
      clock = new Date(clock.getTime() + 60_000);
      await services.hosts.markUsed(host.id);
    }
    expect((await services.hosts.recentlyUsed({ limit: 2 })).map((host) => host.name)).toEqual(['b', 'c']);
  });

  it('exports without secrets or usage and imports all or nothing', async () => {
    const clock = new Date('2025-03-01T10:00:00.000Z');
    const { services } = await openTestApp(directory, { now: () => clock });
    const group = await services.hosts.addGroup({ name: 'Lab' });
    const web = await services.hosts.add(draft('web01', { groupId: group.id }));
    await services.hosts.markUsed(web.id);
    await services.credentials.setSecret({ hostId: web.id, secret: 'hunter2-secret', remember: true });
    const exported = await services.hosts.exportProfiles({});
    expect(exported.fileName).toBe('winrm-desk-hosts-2025-03-01.json');
    expect(exported.text).not.toContain('hunter2-secret');
    expect(exported.text).not.toContain('lastUsed');
    const { imported } = await services.hosts.importProfiles({ text: exported.text });
    expect(imported.map((host) => host.name)).toEqual(['web01']);
    expect(imported[0]?.groupId).toBe(group.id);
    const bad = await rejection(services.hosts.importProfiles({ text: '{"format":"something else"}' }));
    expect(bad).toMatchObject({ code: 'invalid-input', problems: [{ field: 'format' }] });
    expect((await services.hosts.list()).hosts).toHaveLength(2);
    expect(await rejection(services.hosts.exportProfiles({ hostIds: [group.id] }))).toMatchObject({
      code: 'not-found',
    });
  });

  it('reports a hosts file upgraded from an older version, with the backup of the old one', async () => {
    const file = path.join(directory, 'hosts.json');
    await writeFile(file, JSON.stringify({ version: 1, hosts: [] }));
    const { services } = await openTestApp(directory);
    const [status] = await services.storage.status();
    expect(status).toMatchObject({ store: 'hosts', state: 'ready', upgradedFrom: { version: 1 } });
    if (status?.state !== 'ready' || status.upgradedFrom === undefined) throw new Error('expected an upgrade');
    expect(await readFile(status.upgradedFrom.backupPath, 'utf8')).toBe('{"version":1,"hosts":[]}');
  });

  it('reports an unreadable hosts file with its backup, changes nothing, and starts empty only when asked', async () => {
    const file = path.join(directory, 'hosts.json');
    await writeFile(file, '{"version": 2, "hosts": [');
    const { services } = await openTestApp(directory);
    const [status] = await services.storage.status();
    expect(status).toMatchObject({ store: 'hosts', state: 'unreadable', reason: 'not-json', filePath: file });
    if (status?.state !== 'unreadable') throw new Error('expected unreadable');
    expect(status.message).toContain(status.backupPath);
    const error = await rejection(services.hosts.list());
    expect(error).toMatchObject({ code: 'store-unavailable', details: `Backup: ${status.backupPath}` });
    expect(await rejection(services.hosts.add(draft('x')))).toMatchObject({ code: 'store-unavailable' });
    expect(await readFile(file, 'utf8')).toBe('{"version": 2, "hosts": [');

    const hostLists: HostList[] = [];
    services.hosts.onDidChangeHosts((list) => hostLists.push(list));
    const statuses = await services.storage.startEmpty({ store: 'hosts' });
    expect(statuses[0]).toEqual({ store: 'hosts', state: 'ready', filePath: file });
    expect(hostLists).toEqual([{ hosts: [], groups: [] }]);
    await services.hosts.add(draft('fresh'));
    expect(await readFile(status.backupPath, 'utf8')).toBe('{"version": 2, "hosts": [');
    expect(await rejection(services.storage.startEmpty({ store: 'hosts' }))).toMatchObject({ code: 'invalid-input' });
  });
});

async function credentials(services: Awaited<ReturnType<typeof openTestApp>>['services'], hostId: string) {
  return services.credentials.secretFor({ hostId });
}
