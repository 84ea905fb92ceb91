import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SecretState } from '../../core/contract/credential-service';
import { CredentialStoreError } from '../stores/credential-store';
import { openTestApp, temporaryDirectory } from './test-support/temporary-app';

let directory: string;
let removeDirectory: () => Promise<void>;

beforeEach(async () => {
  ({ directory, removeDirectory } = await temporaryDirectory());
});
afterEach(() => removeDirectory());

const SECRET = 'Pa55word-for-tests!';

async function appWithHost() {
  const app = await openTestApp(directory);
  const host = await app.services.hosts.add({ draft: { name: 'web01', address: 'web01', user: 'CORP\\alice' } });
  return { ...app, host };
}

describe('CredentialService', () => {
  it('remembers a secret in the keychain under the profile user, and reports its state only', async () => {
    const { services, credentialStore, host } = await appWithHost();
    const states: SecretState[] = [];
    services.credentials.onDidChangeSecret((state) => states.push(state));
    const state = await services.credentials.setSecret({ hostId: host.id, secret: SECRET, remember: true });
    expect(state).toEqual({ hostId: host.id, user: 'CORP\\alice', remembered: true, heldForSession: true });
    expect(await credentialStore.get({ hostId: host.id, user: 'CORP\\alice' })).toBe(SECRET);
    expect(await services.credentials.hasSecret({ hostId: host.id })).toEqual(state);
    expect(states).toEqual([state]);
    expect(JSON.stringify([state, states])).not.toContain(SECRET);
  });

  it('keeps a secret entered without "remember" in memory only, and drops an older remembered one', async () => {
    const { services, credentialStore, host } = await appWithHost();
    await services.credentials.setSecret({ hostId: host.id, secret: 'old-secret', remember: true });
    const state = await services.credentials.setSecret({ hostId: host.id, secret: SECRET, remember: false });
    expect(state).toMatchObject({ remembered: false, heldForSession: true });
    expect(await credentialStore.has({ hostId: host.id, user: 'CORP\\alice' })).toBe(false);
    expect(await services.credentials.secretFor({ hostId: host.id })).toBe(SECRET);

    const restarted = await openTestApp(directory);
    expect(await restarted.services.credentials.hasSecret({ hostId: host.id })).toMatchObject({
      remembered: false,
      heldForSession: false,
    });
  });

  it('reads a remembered secret for a session after a restart, per user', async () => {
    const { services, credentialStore, host } = await appWithHost();
    await services.credentials.setSecret({ hostId: host.id, user: 'CORP\\admin', secret: SECRET, remember: true });
    const restarted = await openTestApp(directory, { credentialStore });
    expect(await restarted.services.credentials.secretFor({ hostId: host.id, user: 'CORP\\admin' })).toBe(SECRET);
    expect(await restarted.services.credentials.secretFor({ hostId: host.id })).toBeUndefined();
  });

  it('forgets a secret from the keychain and from memory', async () => {
    const { services, credentialStore, host } = await appWithHost();
    await services.credentials.setSecret({ hostId: host.id, secret: SECRET, remember: true });
    expect(await services.credentials.forgetSecret({ hostId: host.id })).toMatchObject({
      remembered: false,
      heldForSession: false,
    });
    expect(await credentialStore.has({ hostId: host.id, user: 'CORP\\alice' })).toBe(false);
    expect(await services.credentials.secretFor({ hostId: host.id })).toBeUndefined();
  });

  it('answers not-found for an unknown host and keychain-unavailable when the keychain refuses', async () => {
    const { services, credentialStore, host } = await appWithHost();
    await expect(
      services.credentials.hasSecret({ hostId: '3f0f3c1e-0b5a-4d7e-9a55-4c1f6f2b9d10' }),
    ).rejects.toMatchObject({ code: 'not-found' });
    credentialStore.set = async () => {
      throw new CredentialStoreError('could not store the keychain entry winrm-desk/x: no Secret Service');
    };
    const error = await services.credentials
      .setSecret({ hostId: host.id, secret: SECRET, remember: true })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'keychain-unavailable',
      details: expect.stringContaining('no Secret Service'),
    });
    expect(JSON.stringify(error)).not.toContain(SECRET);
    expect(await services.credentials.secretFor({ hostId: host.id })).toBeUndefined();
  });
});
