import path from 'node:path';
import { z } from 'zod';
import type { Settings } from '../../core/contract/settings-service';
import { DEFAULT_SETTINGS, settingsSchema } from '../../core/contract/settings-service';
import type { DocumentFormat, StoreOpening, VersionedJsonFileOptions } from '../stores/versioned-json-file';
import { openDocumentStore, VersionedJsonFile } from '../stores/versioned-json-file';

/** `settings.json`, `{ "version": 1, "settings": {…} }`, beside the other store files. */
export const SETTINGS_FILE_NAME = 'settings.json';
export const SETTINGS_VERSION = 1;

const settingsDocumentSchema = z.strictObject({ version: z.literal(SETTINGS_VERSION), settings: settingsSchema });
type SettingsDocument = z.output<typeof settingsDocumentSchema>;

const settingsFormat: DocumentFormat<SettingsDocument> = {
  title: 'settings',
  currentVersion: SETTINGS_VERSION,
  schema: settingsDocumentSchema,
  migrations: [],
  empty: () => ({ version: SETTINGS_VERSION, settings: DEFAULT_SETTINGS }),
};

export class SettingsStore {
  private constructor(
    private readonly file: VersionedJsonFile<SettingsDocument>,
    private document: SettingsDocument,
  ) {}

  static open(directory: string, options: VersionedJsonFileOptions = {}): Promise<StoreOpening<SettingsStore>> {
    const file = new VersionedJsonFile(path.join(directory, SETTINGS_FILE_NAME), settingsFormat, options);
    return openDocumentStore(file, (opened, document) => new SettingsStore(opened, document));
  }

  get settings(): Settings {
    return this.document.settings;
  }

  /** Settles once every change made so far is on disk. */
  flushed(): Promise<void> {
    return this.file.flushed();
  }

  /** Applies `change` (validated as a whole) and settles once it is on disk. */
  async update(change: Partial<Settings>): Promise<Settings> {
    const settings = settingsSchema.parse({ ...this.document.settings, ...change });
    this.document = { version: SETTINGS_VERSION, settings };
    await this.file.save(this.document);
    return settings;
  }
}
