import type { CredentialKey, CredentialStore } from './credential-store';
import { keychainAccount } from './credential-store';

/** A CredentialStore in memory, for tests of the services that use one; forgets everything on exit. */
export class InMemoryCredentialStore implements CredentialStore {
  readonly #secrets = new Map<string, { key: CredentialKey; secret: string }>();

  async get(key: CredentialKey): Promise<string | undefined> {
    return this.#secrets.get(keychainAccount(key))?.secret;
  }

  async set(key: CredentialKey, secret: string): Promise<void> {
    this.#secrets.set(keychainAccount(key), { key: { hostId: key.hostId, user: key.user }, secret });
  }

  async delete(key: CredentialKey): Promise<boolean> {
    return this.#secrets.delete(keychainAccount(key));
  }

  async has(key: CredentialKey): Promise<boolean> {
    return this.#secrets.has(keychainAccount(key));
  }

  async forgetHost(hostId: string): Promise<number> {
    const accounts = [...this.#secrets]
      .filter(([, stored]) => stored.key.hostId === hostId)
      .map(([account]) => account);
    accounts.forEach((account) => this.#secrets.delete(account));
    return accounts.length;
  }
}
