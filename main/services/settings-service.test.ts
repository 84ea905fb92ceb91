import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Settings } from '../../core/contract/settings-service';
import { DEFAULT_SETTINGS } from '../../core/contract/settings-service';
import { openTestApp, temporaryDirectory } from './test-support/temporary-app';

let directory: string;
let removeDirectory: () => Promise<void>;

beforeEach(async () => {
  ({ directory, removeDirectory } = await temporaryDirectory());
});
afterEach(() => removeDirectory());

describe('SettingsService', () => {
  it('starts from the defaults and persists each change', async () => {
    const { services } = await openTestApp(directory);
    expect(await services.settings.get()).toEqual(DEFAULT_SETTINGS);
    const seen: Settings[] = [];
    services.settings.onDidChangeSettings((settings) => seen.push(settings));
    const changed = await services.settings.update({ theme: 'light', fontSize: 16 });
    expect(changed).toEqual({ ...DEFAULT_SETTINGS, theme: 'light', fontSize: 16 });
    expect(seen).toEqual([changed]);
    expect(await (await openTestApp(directory)).services.settings.get()).toEqual(changed);
    expect(JSON.parse(await readFile(path.join(directory, 'settings.json'), 'utf8'))).toEqual({
      version: 1,
      settings: changed,
    });
  });

  it('uses the defaults while the file is unreadable, refuses changes until started empty', async () => {
    await writeFile(path.join(directory, 'settings.json'), '{"version":1,"settings":{"theme":"purple"}}');
    const { services } = await openTestApp(directory);
    expect(await services.settings.get()).toEqual(DEFAULT_SETTINGS);
    await expect(services.settings.update({ copyOnSelect: true })).rejects.toMatchObject({ code: 'store-unavailable' });
    const statuses = await services.storage.status();
    expect(statuses.map((status) => [status.store, status.state])).toEqual([
      ['hosts', 'ready'],
      ['trust', 'ready'],
      ['settings', 'unreadable'],
      ['history', 'ready'],
    ]);
    const seen: Settings[] = [];
    services.settings.onDidChangeSettings((settings) => seen.push(settings));
    await services.storage.startEmpty({ store: 'settings' });
    expect(seen).toEqual([DEFAULT_SETTINGS]);
    await expect(services.settings.update({ copyOnSelect: true })).resolves.toMatchObject({ copyOnSelect: true });
  });
});
