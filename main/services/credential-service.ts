import type { CredentialService } from '../../core/contract/app-contract';
import type { SecretState } from '../../core/contract/credential-service';
import { Emitter } from '../../core/contract/emitter';
import type { CredentialKey, CredentialStore } from '../stores/credential-store';
import { keychainAccount } from '../stores/credential-store';
import type { HostProfileStore } from '../stores/host-profile-store';
import type { HostDataKeeper } from './host-service';
import { notFound, translatingStoreErrors } from './service-errors';
import type { StoreSlot } from './store-slot';

interface KeyRequest {
  readonly hostId: string;
  readonly user?: string | undefined;
}

/**
 * Secrets entered in the credential dialog (DESIGN.md §1 step 3, §7). A remembered secret goes to the
 * keychain; one entered without "remember" stays in this object's memory for the run, for the sessions
 * that need it (reconnects included). Only main reads a secret back (`secretFor`); the contract answers
 * with its state, never with the secret.
 */
export class CredentialServiceImpl implements CredentialService, HostDataKeeper {
  readonly #heldForSession = new Map<string, { readonly key: CredentialKey; readonly secret: string }>();
  readonly #changes = new Emitter<SecretState>();

  constructor(
    private readonly hosts: StoreSlot<HostProfileStore>,
    private readonly keychain: CredentialStore,
  ) {}

  readonly onDidChangeSecret = this.#changes.event;

  async hasSecret(request: KeyRequest): Promise<SecretState> {
    return this.#state(this.#key(request));
  }

  async setSecret(request: KeyRequest & { secret: string; remember: boolean }): Promise<SecretState> {
    const key = this.#key(request);
    await translatingStoreErrors(async () => {
      if (request.remember) await this.keychain.set(key, request.secret);
      else await this.keychain.delete(key);
    });
    this.#heldForSession.set(keychainAccount(key), { key, secret: request.secret });
    return this.#changed(key);
  }

  async forgetSecret(request: KeyRequest): Promise<SecretState> {
    const key = this.#key(request);
    this.#heldForSession.delete(keychainAccount(key));
    await translatingStoreErrors(() => this.keychain.delete(key));
    return this.#changed(key);
  }

  /** For the session that connects: the secret entered this run, else the remembered one. */
  async secretFor(request: KeyRequest): Promise<string | undefined> {
    const key = this.#key(request);
    const held = this.#heldForSession.get(keychainAccount(key));
    if (held !== undefined) return held.secret;
    return translatingStoreErrors(() => this.keychain.get(key));
  }

  async forgetHost(hostId: string): Promise<void> {
    for (const [account, { key }] of this.#heldForSession) {
      if (key.hostId === hostId) this.#heldForSession.delete(account);
    }
    await this.keychain.forgetHost(hostId);
  }

  #key({ hostId, user }: KeyRequest): CredentialKey {
    const host = this.hosts.store.host(hostId);
    if (host === undefined) throw notFound('The host');
    return { hostId, user: user ?? host.user };
  }

  async #state(key: CredentialKey): Promise<SecretState> {
    return {
      hostId: key.hostId,
      user: key.user,
      remembered: await translatingStoreErrors(() => this.keychain.has(key)),
      heldForSession: this.#heldForSession.has(keychainAccount(key)),
    };
  }

  async #changed(key: CredentialKey): Promise<SecretState> {
    const state = await this.#state(key);
    this.#changes.fire(state);
    return state;
  }
}
