import { ContractError } from '../../core/contract/contract-error';
import { Emitter } from '../../core/contract/emitter';
import type { StoreName, StoreStatus } from '../../core/contract/storage-service';
import type { StoreOpening } from '../stores/versioned-json-file';

/**
 * One opened store file as the services use it. An unreadable file leaves the slot without a store:
 * every use answers `store-unavailable` with the file's problem and its backup path, and nothing is
 * written until the user chooses to start it empty (DESIGN.md §2.3).
 */
export class StoreSlot<S> {
  #opening: StoreOpening<S>;
  readonly #changes = new Emitter<S>();

  constructor(
    readonly name: StoreName,
    readonly filePath: string,
    opening: StoreOpening<S>,
  ) {
    this.#opening = opening;
  }

  /** Fires with the new store when an unreadable one was replaced by an empty one. */
  readonly onDidReplaceStore = this.#changes.event;

  /** The store, or a ContractError the UI can show when its file could not be read. */
  get store(): S {
    if (this.#opening.status === 'ready') return this.#opening.store;
    const { error } = this.#opening;
    throw new ContractError('store-unavailable', error.message, { details: `Backup: ${error.backupPath}` });
  }

  /** The store when there is one; for clean-ups that have nothing to do in an unreadable file. */
  get storeIfReady(): S | undefined {
    return this.#opening.status === 'ready' ? this.#opening.store : undefined;
  }

  get status(): StoreStatus {
    const opening = this.#opening;
    if (opening.status === 'corrupt') {
      const { reason, message, backupPath } = opening.error;
      return { store: this.name, state: 'unreadable', filePath: this.filePath, reason, message, backupPath };
    }
    return {
      store: this.name,
      state: 'ready',
      filePath: this.filePath,
      ...(opening.upgrade === undefined
        ? {}
        : { upgradedFrom: { version: opening.upgrade.fromVersion, backupPath: opening.upgrade.backupPath } }),
    };
  }

  async startEmpty(): Promise<void> {
    const opening = this.#opening;
    if (opening.status !== 'corrupt') throw new ContractError('invalid-input', `The ${this.name} store is readable.`);
    const store = await opening.startEmpty();
    this.#opening = { status: 'ready', store };
    this.#changes.fire(store);
  }
}
