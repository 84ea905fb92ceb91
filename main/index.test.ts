import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appContract } from '../core/contract/app-contract';
import { connectContract } from '../core/contract/client';
import { ContractServer } from '../core/contract/server';
import { createInMemoryTransportPair } from '../core/contract/transport';
import { consoleLogger } from './services/log';
import { openTestApp, temporaryDirectory } from './services/test-support/temporary-app';

const SECRET = 'S3cret-that-must-stay-in-main';
const ORIGIN = 'app://winrm-desk';

let directory: string;
let removeDirectory: () => Promise<void>;

beforeEach(async () => {
  ({ directory, removeDirectory } = await temporaryDirectory());
});
afterEach(() => removeDirectory());

describe('the composed app behind the contract', () => {
  it('serves every service; a secret goes in and never comes back, in answers, events or logs', async () => {
    const app = await openTestApp(directory);
    const server = new ContractServer(appContract, app.services, {
      logger: app.logger,
      isAllowedSender: (sender) => sender.origin === ORIGIN,
    });
    const [rendererEnd, mainEnd] = createInMemoryTransportPair();
    const fromMain: unknown[] = [];
    rendererEnd.onMessage((message) => fromMain.push(message));
    server.accept(mainEnd, { origin: ORIGIN, description: 'test' });
    const { services } = connectContract(appContract, rendererEnd);
    const events: unknown[] = [];
    services.hosts.onDidChangeHosts((event) => events.push(event));
    services.credentials.onDidChangeSecret((event) => events.push(event));

    const host = await services.hosts.add({ draft: { name: 'web01', address: 'web01', user: 'alice' } });
    await services.credentials.setSecret({ hostId: host.id, secret: SECRET, remember: true });
    await services.credentials.setSecret({ hostId: host.id, secret: SECRET, remember: false });
    expect(await services.credentials.hasSecret({ hostId: host.id })).toMatchObject({ heldForSession: true });
    // A malformed secret message is refused and logged without its value.
    rendererEnd.post({
      kind: 'request',
      id: 99,
      service: 'credentials',
      method: 'setSecret',
      payload: { hostId: host.id, secret: SECRET, remember: 'yes' },
    });
    expect(await services.sessions.list()).toEqual([]);
    expect(await services.settings.get()).toMatchObject({ theme: 'dark' });
    expect((await services.storage.status()).map((entry) => entry.store).sort()).toEqual([
      'history',
      'hosts',
      'settings',
      'trust',
    ]);
    await services.history.append({ hostId: host.id, line: 'Get-Date' });
    expect(await services.history.list({ hostId: host.id })).toEqual(['Get-Date']);
    expect(await services.trust.list()).toEqual({ pins: [], authorities: [] });

    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(app.log).toHaveLength(1);
    expect(JSON.stringify(fromMain)).not.toContain(SECRET);
    expect(JSON.stringify(app.log)).not.toContain(SECRET);
    expect(await app.services.credentials.secretFor({ hostId: host.id })).toBe(SECRET);
  });
});

describe('console logger', () => {
  it('writes one line per entry with secret-sounding fields redacted', () => {
    const lines: string[] = [];
    consoleLogger((line) => lines.push(line)).warn('bridge: refused', { reason: 'wrong token', token: 'abc123' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\S+ warn bridge: refused \{"reason":"wrong token","token":"\[redacted\]"\}$/,
    );
  });
});
