import { AsyncEntry, findCredentialsAsync } from '@napi-rs/keyring';
import { UsageError } from '../../core/errors';

/**
 * Secrets (passwords) remembered for a host and user, kept in the OS keychain (DESIGN.md §2.3, §7): never
 * in a profile file, a log or the renderer. Implementations must not put a secret in an error message.
 */
export interface CredentialKey {
  /** The host profile's id. */
  readonly hostId: string;
  /** As typed in the profile or the credential dialog (`DOMAIN\user`, `user@REALM`, …); may be blank. */
  readonly user: string;
}

export interface CredentialStore {
  /** The remembered secret, or undefined when there is none. */
  get(key: CredentialKey): Promise<string | undefined>;
  set(key: CredentialKey, secret: string): Promise<void>;
  /** False when there was nothing to delete. */
  delete(key: CredentialKey): Promise<boolean>;
  has(key: CredentialKey): Promise<boolean>;
  /** Deletes every secret of the host (when the host is deleted); returns how many there were. */
  forgetHost(hostId: string): Promise<number>;
}

export const KEYCHAIN_SERVICE = 'winrm-desk';

const ACCOUNT_SEPARATOR = '/';

/**
 * The keychain account for a key: `<hostId>/<user>`. Host ids never contain the separator, so the
 * account splits back at its first `/` whatever the user name holds.
 */
export function keychainAccount(key: CredentialKey): string {
  if (key.hostId === '' || key.hostId.includes(ACCOUNT_SEPARATOR)) {
    throw new UsageError(`a credential's host id must be non-empty and without "${ACCOUNT_SEPARATOR}"`);
  }
  return `${key.hostId}${ACCOUNT_SEPARATOR}${key.user}`;
}

/** The keychain could not be used (locked, absent, refused); the message names the account, never the secret. */
export class CredentialStoreError extends Error {
  override readonly name = 'CredentialStoreError';
}

/**
 * CredentialStore over the OS keychain with @napi-rs/keyring: Keychain on macOS, Credential Manager on
 * Windows, the Secret Service (gnome-keyring, KWallet) on Linux. Linux is pinned to the Secret Service:
 * the library's fallback, the kernel keyring, forgets everything at logout, which is not "remember".
 */
export class KeyringCredentialStore implements CredentialStore {
  constructor(private readonly service: string = KEYCHAIN_SERVICE) {}

  get(key: CredentialKey): Promise<string | undefined> {
    return this.#call('read', key, async (entry) => (await entry.getPassword()) ?? undefined);
  }

  set(key: CredentialKey, secret: string): Promise<void> {
    return this.#call('store', key, (entry) => entry.setPassword(secret));
  }

  delete(key: CredentialKey): Promise<boolean> {
    return this.#call('delete', key, (entry) => entry.deletePassword());
  }

  async has(key: CredentialKey): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async forgetHost(hostId: string): Promise<number> {
    const prefix = keychainAccount({ hostId, user: '' });
    let accounts: string[];
    try {
      accounts = (await findCredentialsAsync(this.service)).map((credential) => credential.account);
    } catch (error) {
      throw new CredentialStoreError(`could not list the keychain entries of ${this.service}: ${reason(error)}`);
    }
    let deleted = 0;
    for (const account of accounts.filter((candidate) => candidate.startsWith(prefix))) {
      if (await this.delete({ hostId, user: account.slice(prefix.length) })) deleted++;
    }
    return deleted;
  }

  async #call<R>(action: string, key: CredentialKey, use: (entry: AsyncEntry) => Promise<R>): Promise<R> {
    const account = keychainAccount(key);
    try {
      return await use(new AsyncEntry(this.service, account, { linux: { store: 'secret-service' } }));
    } catch (error) {
      throw new CredentialStoreError(
        `could not ${action} the keychain entry ${this.service}/${account}: ${reason(error)}`,
      );
    }
  }
}

/** The keychain's own message; it describes the failure, and the library never puts the secret in it. */
function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
