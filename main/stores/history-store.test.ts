import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_HISTORY_ENTRIES, MAX_HISTORY_LINE_LENGTH } from '../../core/contract/history-service';
import { HISTORY_FILE_NAME, HistoryStore, isSensitiveHistoryLine } from './history-store';

const NOW = new Date('2025-06-07T08:09:10.000Z');

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-history-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function openStore(): Promise<HistoryStore> {
  const opening = await HistoryStore.open(directory, { now: () => NOW });
  if (opening.status !== 'ready') throw opening.error;
  return opening.store;
}

const readDocument = async () => JSON.parse(await readFile(path.join(directory, HISTORY_FILE_NAME), 'utf8')) as unknown;

const [web, db] = [randomUUID(), randomUUID()];

describe('HistoryStore', () => {
  it('keeps each host its own history across a reopen, skipping blanks and a repeat of the newest line', async () => {
    const store = await openStore();
    for (const line of ['Get-Date', 'Get-Date', '  ', 'dir', 'Get-Date']) await store.append(web, line);
    await store.append(db, 'Get-Service');
    expect(store.history(web)).toEqual(['Get-Date', 'dir', 'Get-Date']);
    expect(await readDocument()).toEqual({
      version: 1,
      hosts: { [web]: ['Get-Date', 'dir', 'Get-Date'], [db]: ['Get-Service'] },
    });
    const reopened = await openStore();
    expect(reopened.history(web)).toEqual(['Get-Date', 'dir', 'Get-Date']);
    expect(reopened.history(db)).toEqual(['Get-Service']);
    expect(reopened.history(randomUUID())).toEqual([]);
  });

  it('keeps the newest MAX_HISTORY_ENTRIES lines of a host', async () => {
    const store = await openStore();
    for (let index = 0; index <= MAX_HISTORY_ENTRIES; index++) void store.append(web, `echo ${index}`);
    await store.flushed();
    const history = (await openStore()).history(web);
    expect(history).toHaveLength(MAX_HISTORY_ENTRIES);
    expect([history[0], history.at(-1)]).toEqual(['echo 1', `echo ${MAX_HISTORY_ENTRIES}`]);
  });

  it('never saves a line that looks like it holds a secret, as PSReadLine does', async () => {
    const sensitive = [
      '$cred = New-Object PSCredential alice, (ConvertTo-SecureString hunter2 -AsPlainText -Force)',
      'Connect-Thing -Password hunter2',
      '$env:GITHUB_TOKEN = "ghp_x"',
      'Invoke-RestMethod -Headers @{ ApiKey = "k" }',
      'Get-Secret -Name db',
      'net user bob PASSWORD1',
    ];
    for (const line of sensitive) expect(isSensitiveHistoryLine(line), line).toBe(true);
    expect(isSensitiveHistoryLine('Get-ChildItem C:\\Windows')).toBe(false);
    const store = await openStore();
    await store.append(web, 'Get-Date');
    for (const line of sensitive) await store.append(web, line);
    await store.append(web, 'dir');
    expect(store.history(web)).toEqual(['Get-Date', 'dir']);
    expect(JSON.stringify(await readDocument())).not.toMatch(/hunter2|ghp_x|PASSWORD1/);
  });

  it('refuses a line over MAX_HISTORY_LINE_LENGTH and writes nothing for it', async () => {
    const store = await openStore();
    await expect(store.append(web, 'x'.repeat(MAX_HISTORY_LINE_LENGTH + 1))).rejects.toThrow();
    await store.append(web, 'x'.repeat(MAX_HISTORY_LINE_LENGTH));
    expect(store.history(web)).toEqual(['x'.repeat(MAX_HISTORY_LINE_LENGTH)]);
  });

  it('forgets one host and keeps the others', async () => {
    const store = await openStore();
    await store.append(web, 'Get-Date');
    await store.append(db, 'Get-Service');
    await store.forgetHost(web);
    await store.forgetHost(randomUUID());
    expect(await readDocument()).toEqual({ version: 1, hosts: { [db]: ['Get-Service'] } });
  });

  it('keeps a corrupt file in a backup and reports it; nothing is written until started empty', async () => {
    const filePath = path.join(directory, HISTORY_FILE_NAME);
    const corrupt = `{"version":1,"hosts":{"${web}":["Get-Date",`;
    await writeFile(filePath, corrupt);
    const opening = await HistoryStore.open(directory, { now: () => NOW });
    if (opening.status !== 'corrupt') throw new Error('expected the file to be reported corrupt');
    expect(opening.error).toMatchObject({ reason: 'not-json', filePath });
    expect(opening.error.message).toContain('command history');
    expect(await readFile(opening.error.backupPath, 'utf8')).toBe(corrupt);
    expect(await readFile(filePath, 'utf8')).toBe(corrupt);
    const store = await opening.startEmpty();
    expect(store.history(web)).toEqual([]);
    expect(await readDocument()).toEqual({ version: 1, hosts: {} });
    expect((await readdir(directory)).sort()).toEqual([
      'history.corrupt-2025-06-07T08-09-10.000Z.json',
      HISTORY_FILE_NAME,
    ]);
  });

  it('reports a file whose lines break the limits as invalid', async () => {
    await writeFile(
      path.join(directory, HISTORY_FILE_NAME),
      JSON.stringify({
        version: 1,
        hosts: { 'not-a-host-id': ['dir'], [web]: Array(MAX_HISTORY_ENTRIES + 1).fill('x') },
      }),
    );
    const opening = await HistoryStore.open(directory, { now: () => NOW });
    expect(opening.status === 'corrupt' && opening.error.reason).toBe('invalid');
  });
});
