import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors';
import type { CredentialStore } from './credential-store';
import { KEYCHAIN_SERVICE, keychainAccount, KeyringCredentialStore } from './credential-store';
import { InMemoryCredentialStore } from './memory-credential-store';

// The keyring store talks to a real gnome-keyring over the Secret Service: `npm test` runs every suite
// inside dbus-run-session with an unlocked keyring. By hand:
//   dbus-run-session -- bash -c 'echo "" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; npx vitest run main/stores'
// Entries go to a service name of their own, so a developer's real keychain is never touched.
const testService = `winrm-desk-test-${randomUUID()}`;

function keyringStore(): KeyringCredentialStore {
  if (!process.env['DBUS_SESSION_BUS_ADDRESS']) {
    throw new Error('no D-Bus session: run the keyring tests inside dbus-run-session with gnome-keyring (see above)');
  }
  return new KeyringCredentialStore(testService);
}

const implementations: [string, () => CredentialStore][] = [
  ['KeyringCredentialStore (gnome-keyring)', keyringStore],
  ['InMemoryCredentialStore', () => new InMemoryCredentialStore()],
];

describe.each(implementations)('%s', (_, createStore) => {
  it('stores, reads back and deletes a secret per host and user', async () => {
    const store = createStore();
    const alice = { hostId: randomUUID(), user: 'CORP\\alice' };
    const aliceUpn = { hostId: alice.hostId, user: 'alice@corp.example.com/ops' };
    expect(await store.get(alice)).toBeUndefined();
    expect(await store.has(alice)).toBe(false);

    await store.set(alice, 'pässwörd-🔑 "quoted"');
    await store.set(aliceUpn, 'another');
    expect(await store.get(alice)).toBe('pässwörd-🔑 "quoted"');
    expect(await store.has(alice)).toBe(true);
    expect(await store.get({ hostId: randomUUID(), user: alice.user })).toBeUndefined();

    await store.set(alice, 'changed');
    expect(await store.get(alice)).toBe('changed');
    expect(await store.delete(alice)).toBe(true);
    expect(await store.delete(alice)).toBe(false);
    expect(await store.get(alice)).toBeUndefined();
    expect(await store.get(aliceUpn)).toBe('another');
    expect(await store.delete(aliceUpn)).toBe(true);
  });

  it("forgets every secret of a deleted host and nobody else's", async () => {
    const store = createStore();
    const [host, other] = [randomUUID(), randomUUID()];
    await store.set({ hostId: host, user: 'a' }, 'one');
    await store.set({ hostId: host, user: '' }, 'two');
    await store.set({ hostId: other, user: 'a' }, 'three');
    expect(await store.forgetHost(host)).toBe(2);
    expect(await store.has({ hostId: host, user: 'a' })).toBe(false);
    expect(await store.has({ hostId: host, user: '' })).toBe(false);
    expect(await store.get({ hostId: other, user: 'a' })).toBe('three');
    expect(await store.forgetHost(other)).toBe(1);
  });
});

describe('KeyringCredentialStore', () => {
  it('writes to the OS keychain, where an independent client finds the entry under our service name', async () => {
    const store = keyringStore();
    const key = { hostId: randomUUID(), user: 'LAB\\bob' };
    await store.set(key, 'visible-to-secret-tool');
    try {
      const found = execFileSync('secret-tool', ['lookup', 'service', testService], { encoding: 'utf8' });
      expect(found).toBe('visible-to-secret-tool');
      const listed = execFileSync('secret-tool', ['search', 'service', testService], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
      expect(listed).toContain(keychainAccount(key));
    } finally {
      await store.delete(key);
    }
  });

  it('uses the service name winrm-desk by default', () => {
    expect(KEYCHAIN_SERVICE).toBe('winrm-desk');
  });
});

describe('keychainAccount', () => {
  it('joins host id and user so that the user may contain anything', () => {
    expect(keychainAccount({ hostId: 'h1', user: 'CORP\\a/b' })).toBe('h1/CORP\\a/b');
    expect(() => keychainAccount({ hostId: 'h/1', user: 'a' })).toThrow(UsageError);
    expect(() => keychainAccount({ hostId: '', user: 'a' })).toThrow(UsageError);
  });
});
