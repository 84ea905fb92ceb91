import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { historyServiceDefinition, MAX_HISTORY_LINE_LENGTH } from '../../core/contract/history-service';
import { HISTORY_FILE_NAME } from '../stores/history-store';
import { openTestApp, temporaryDirectory } from './test-support/temporary-app';

let directory: string;
let removeDirectory: () => Promise<void>;

beforeEach(async () => {
  ({ directory, removeDirectory } = await temporaryDirectory());
});
afterEach(() => removeDirectory());

const draft = (name: string) => ({ draft: { name, address: `${name}.corp.example` } });

describe('HistoryService', () => {
  it('keeps each host its history across a restart of the app, without secret-looking lines', async () => {
    const app = await openTestApp(directory);
    const { hosts, history } = app.services;
    const web = await hosts.add(draft('web01'));
    const db = await hosts.add(draft('db01'));
    for (const line of [
      'Get-Date',
      'Get-Date',
      '',
      '$p = Read-Host -AsSecureString; $p | ConvertFrom-SecureString -AsPlainText',
      'dir',
    ]) {
      await history.append({ hostId: web.id, line });
    }
    await history.append({ hostId: db.id, line: 'Get-Service' });
    expect(await history.list({ hostId: web.id })).toEqual(['Get-Date', 'dir']);
    await app.flushed();
    const restarted = await openTestApp(directory);
    expect(await restarted.services.history.list({ hostId: web.id })).toEqual(['Get-Date', 'dir']);
    expect(await restarted.services.history.list({ hostId: db.id })).toEqual(['Get-Service']);
  });

  it('deleting a host deletes its history', async () => {
    const app = await openTestApp(directory);
    const { hosts, history } = app.services;
    const web = await hosts.add(draft('web01'));
    const db = await hosts.add(draft('db01'));
    await history.append({ hostId: web.id, line: 'Get-Date' });
    await history.append({ hostId: db.id, line: 'Get-Service' });
    await hosts.delete({ id: web.id });
    await app.flushed();
    expect(JSON.parse(await readFile(path.join(directory, HISTORY_FILE_NAME), 'utf8'))).toEqual({
      version: 1,
      hosts: { [db.id]: ['Get-Service'] },
    });
    await expect(history.list({ hostId: web.id })).rejects.toMatchObject({ code: 'not-found' });
    await expect(history.append({ hostId: web.id, line: 'dir' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('bounds what the renderer may send: a host id and a line of at most MAX_HISTORY_LINE_LENGTH', () => {
    const { request } = historyServiceDefinition.methods.append;
    const hostId = '3f0f3c1e-0b5a-4d7e-9a55-4c1f6f2b9d10';
    expect(request.safeParse({ hostId, line: 'x'.repeat(MAX_HISTORY_LINE_LENGTH) }).success).toBe(true);
    expect(request.safeParse({ hostId, line: 'x'.repeat(MAX_HISTORY_LINE_LENGTH + 1) }).success).toBe(false);
    expect(request.safeParse({ hostId: 'web01', line: 'dir' }).success).toBe(false);
    expect(request.safeParse({ hostId, line: 'dir', at: 1 }).success).toBe(false);
  });

  it('reports an unreadable history file, keeps its bytes, and still lets hosts be deleted', async () => {
    const first = await openTestApp(directory);
    const web = await first.services.hosts.add(draft('web01'));
    await first.flushed();
    const corrupt = `{"version":1,"hosts":{"${web.id}":["Get-Date"`;
    await writeFile(path.join(directory, HISTORY_FILE_NAME), corrupt);
    const { services } = await openTestApp(directory);
    const status = (await services.storage.status()).find((entry) => entry.store === 'history');
    expect(status).toMatchObject({ state: 'unreadable', reason: 'not-json' });
    if (status?.state !== 'unreadable') throw new Error('expected the history store to be unreadable');
    expect(await readFile(status.backupPath, 'utf8')).toBe(corrupt);
    await expect(services.history.list({ hostId: web.id })).rejects.toMatchObject({ code: 'store-unavailable' });
    await expect(services.history.append({ hostId: web.id, line: 'dir' })).rejects.toMatchObject({
      code: 'store-unavailable',
    });
    await services.hosts.delete({ id: web.id });
    expect(await readFile(path.join(directory, HISTORY_FILE_NAME), 'utf8')).toBe(corrupt);
    await services.storage.startEmpty({ store: 'history' });
    const db = await services.hosts.add(draft('db01'));
    await services.history.append({ hostId: db.id, line: 'dir' });
    expect(await services.history.list({ hostId: db.id })).toEqual(['dir']);
  });
});
