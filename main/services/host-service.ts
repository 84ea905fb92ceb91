import type { HostService } from '../../core/contract/app-contract';
import { Emitter } from '../../core/contract/emitter';
import type { HostGroup, HostProfile, HostProfileDraftInput } from '../../core/contract/host-profile';
import type { HostList } from '../../core/contract/host-service';
import type { HostProfileStore } from '../stores/host-profile-store';
import { notFound, translatingStoreErrors } from './service-errors';
import type { StoreSlot } from './store-slot';

/** Whoever keeps data about hosts and groups elsewhere (secrets, trust) and must forget it when they go. */
export interface HostDataKeeper {
  forgetHost(hostId: string): Promise<unknown>;
  forgetGroup?(groupId: string): Promise<unknown>;
}

/**
 * The saved hosts (HostService of the contract) over the host profile store. Deleting a host first makes
 * every keeper forget what it holds for it — a keychain that refuses stops the deletion, so no secret is
 * left behind for a host that no longer exists — and only then removes the profile.
 */
export class HostServiceImpl implements HostService {
  readonly #changes = new Emitter<HostList>();

  constructor(
    private readonly slot: StoreSlot<HostProfileStore>,
    private readonly keepers: readonly HostDataKeeper[],
    private readonly now: () => Date = () => new Date(),
  ) {
    slot.onDidReplaceStore(() => this.#changed());
  }

  readonly onDidChangeHosts = this.#changes.event;

  async list(): Promise<HostList> {
    return this.#snapshot(this.slot.store);
  }

  async add({ draft }: { draft: HostProfileDraftInput }): Promise<HostProfile> {
    return this.#change((store) => store.add(draft));
  }

  async update({ id, draft }: { id: string; draft: HostProfileDraftInput }): Promise<HostProfile> {
    this.#host(id);
    return this.#change((store) => store.update(id, draft));
  }

  async duplicate({ id }: { id: string }): Promise<HostProfile> {
    this.#host(id);
    return this.#change((store) => store.duplicate(id));
  }

  async delete({ id }: { id: string }): Promise<void> {
    this.#host(id);
    await translatingStoreErrors(async () => {
      for (const keeper of this.keepers) await keeper.forgetHost(id);
    });
    await this.#change((store) => store.delete(id));
  }

  async addGroup({ name }: { name: string }): Promise<HostGroup> {
    return this.#change((store) => store.addGroup(name));
  }

  async renameGroup({ id, name }: { id: string; name: string }): Promise<HostGroup> {
    this.#group(id);
    return this.#change((store) => store.renameGroup(id, name));
  }

  async deleteGroup({ id }: { id: string }): Promise<void> {
    this.#group(id);
    await translatingStoreErrors(async () => {
      for (const keeper of this.keepers) await keeper.forgetGroup?.(id);
    });
    await this.#change((store) => store.deleteGroup(id));
  }

  async search({ query }: { query: string }): Promise<HostProfile[]> {
    const store = this.slot.store;
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const groupNames = new Map(store.groups.map((group) => [group.id, group.name]));
    return store.hosts.filter((host) => {
      const text = [
        host.name,
        host.address,
        host.user,
        host.configurationName ?? '',
        host.groupId === undefined ? '' : (groupNames.get(host.groupId) ?? ''),
      ]
        .join('\n')
        .toLowerCase();
      return words.every((word) => text.includes(word));
    });
  }

  async recentlyUsed({ limit }: { limit: number }): Promise<HostProfile[]> {
    return this.slot.store.hosts
      .filter((host) => host.lastUsed !== undefined)
      .sort((a, b) => Date.parse(b.lastUsed ?? '') - Date.parse(a.lastUsed ?? ''))
      .slice(0, limit);
  }

  async importProfiles({ text }: { text: string }): Promise<{ imported: HostProfile[] }> {
    return { imported: await this.#change((store) => store.importProfiles(text)) };
  }

  async exportProfiles({ hostIds }: { hostIds?: string[] | undefined }): Promise<{ fileName: string; text: string }> {
    const store = this.slot.store;
    hostIds?.forEach((id) => this.#host(id));
    const day = this.now().toISOString().slice(0, 10);
    return { fileName: `winrm-desk-hosts-${day}.json`, text: store.exportProfiles(hostIds) };
  }

  /** Main's record of a session opening to the host (not a renderer action). */
  async markUsed(id: string): Promise<void> {
    this.#host(id);
    await this.#change((store) => store.markUsed(id));
  }

  /** The saved profile, or a not-found ContractError. */
  host(id: string): HostProfile {
    return this.#host(id);
  }

  #host(id: string): HostProfile {
    const host = this.slot.store.host(id);
    if (host === undefined) throw notFound('The host');
    return host;
  }

  #group(id: string): void {
    if (!this.slot.store.groups.some((group) => group.id === id)) throw notFound('The group');
  }

  async #change<T>(action: (store: HostProfileStore) => Promise<T>): Promise<T> {
    const store = this.slot.store;
    const result = await translatingStoreErrors(() => action(store));
    this.#changed();
    return result;
  }

  #changed(): void {
    const store = this.slot.storeIfReady;
    if (store !== undefined) this.#changes.fire(this.#snapshot(store));
  }

  #snapshot(store: HostProfileStore): HostList {
    return { hosts: [...store.hosts], groups: [...store.groups] };
  }
}
