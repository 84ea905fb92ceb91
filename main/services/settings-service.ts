import type { SettingsService } from '../../core/contract/app-contract';
import { Emitter } from '../../core/contract/emitter';
import type { Settings } from '../../core/contract/settings-service';
import { DEFAULT_SETTINGS } from '../../core/contract/settings-service';
import { translatingStoreErrors } from './service-errors';
import type { SettingsStore } from './settings-store';
import type { StoreSlot } from './store-slot';

/** Appearance and terminal settings. While the settings file is unreadable the defaults apply and changes wait. */
export class SettingsServiceImpl implements SettingsService {
  readonly #changes = new Emitter<Settings>();

  constructor(private readonly slot: StoreSlot<SettingsStore>) {
    slot.onDidReplaceStore((store) => this.#changes.fire(store.settings));
  }

  readonly onDidChangeSettings = this.#changes.event;

  async get(): Promise<Settings> {
    return this.slot.storeIfReady?.settings ?? DEFAULT_SETTINGS;
  }

  async update(change: Partial<Settings>): Promise<Settings> {
    const store = this.slot.store;
    const settings = await translatingStoreErrors(() => store.update(change));
    this.#changes.fire(settings);
    return settings;
  }
}
