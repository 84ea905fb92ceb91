import type { HistoryService } from '../../core/contract/app-contract';
import type { HistoryStore } from '../stores/history-store';
import type { HostProfileStore } from '../stores/host-profile-store';
import type { HostDataKeeper } from './host-service';
import { notFound, translatingStoreErrors } from './service-errors';
import type { StoreSlot } from './store-slot';

/**
 * The saved hosts' command histories (HistoryService of the contract). A history belongs to a saved host:
 * asking for one of a host that does not exist is not-found, and deleting a host deletes its history.
 */
export class HistoryServiceImpl implements HistoryService, HostDataKeeper {
  constructor(
    private readonly slot: StoreSlot<HistoryStore>,
    private readonly hosts: StoreSlot<HostProfileStore>,
  ) {}

  async list({ hostId }: { hostId: string }): Promise<string[]> {
    this.#checkHost(hostId);
    return [...this.slot.store.history(hostId)];
  }

  async append({ hostId, line }: { hostId: string; line: string }): Promise<void> {
    this.#checkHost(hostId);
    const store = this.slot.store;
    await translatingStoreErrors(() => store.append(hostId, line));
  }

  async forgetHost(hostId: string): Promise<void> {
    // An unreadable history file keeps its bytes as they are until the user starts it empty.
    await this.slot.storeIfReady?.forgetHost(hostId);
  }

  #checkHost(hostId: string): void {
    if (this.hosts.store.host(hostId) === undefined) throw notFound('The host');
  }
}
