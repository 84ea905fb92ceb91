import type { StorageService } from '../../core/contract/app-contract';
import { Emitter } from '../../core/contract/emitter';
import type { StoreName, StoreStatus } from '../../core/contract/storage-service';
import { STORE_NAMES } from '../../core/contract/storage-service';
import type { StoreSlot } from './store-slot';

/** The state of every store file, so the UI can show an unreadable one with its backup and offer a fresh start. */
export class StorageServiceImpl implements StorageService {
  readonly #changes = new Emitter<StoreStatus[]>();

  constructor(private readonly slots: { readonly [K in StoreName]: StoreSlot<unknown> }) {}

  readonly onDidChangeStorageStatus = this.#changes.event;

  async status(): Promise<StoreStatus[]> {
    return STORE_NAMES.map((name) => this.slots[name].status);
  }

  async startEmpty({ store }: { store: StoreName }): Promise<StoreStatus[]> {
    await this.slots[store].startEmpty();
    const statuses = await this.status();
    this.#changes.fire(statuses);
    return statuses;
  }
}
