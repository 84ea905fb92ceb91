import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../../core/errors';
import { CoalescingWriter } from './coalescing-writer';
import type { DocumentMigration } from './document-migration';
import { DocumentProblemError, migrationChain, upgradeDocument } from './document-migration';
import type { StoreFileSystem } from './store-file-system';
import {
  isErrorCode,
  nodeStoreFileSystem,
  removeAbandonedTemporaryFiles,
  writeFileAtomically,
} from './store-file-system';

/**
 * One versioned JSON document in a file of its own (DESIGN.md §2.3), shared by every store: loaded with
 * migration from older versions, validated, written atomically with writes serialized and coalesced.
 * A file that cannot be used is never overwritten before its bytes are copied to a backup and the caller
 * has been told; an upgraded file is backed up before its new version replaces it.
 */

export interface DocumentFormat<T> {
  /** What the file holds, in words for messages: "host profiles". */
  readonly title: string;
  readonly currentVersion: number;
  /** Validates a document of the current version. */
  readonly schema: z.ZodType<T>;
  /** One step from each older version to the next. */
  readonly migrations: readonly DocumentMigration[];
  empty(): T;
}

export type CorruptionReason = 'not-json' | 'invalid' | 'newer-version';

/** The file exists but cannot be used; its exact bytes are in `backupPath`. */
export class CorruptDocumentError extends Error {
  override readonly name = 'CorruptDocumentError';

  constructor(
    readonly title: string,
    readonly filePath: string,
    readonly reason: CorruptionReason,
    readonly detail: string,
    readonly backupPath: string,
  ) {
    super(`${corruptionSummary(title, filePath, reason, detail)} Its contents were copied to ${backupPath}.`);
  }
}

function corruptionSummary(title: string, filePath: string, reason: CorruptionReason, detail: string): string {
  switch (reason) {
    case 'not-json':
      return `The ${title} file ${filePath} is damaged: it is not readable JSON (${detail}).`;
    case 'invalid':
      return `The ${title} file ${filePath} holds data WinRM Desk cannot use (${detail}).`;
    case 'newer-version':
      return `The ${title} file ${filePath} was written by a newer WinRM Desk (${detail}).`;
  }
}

export type DocumentLoad<T> =
  | { readonly status: 'absent'; readonly document: T }
  | { readonly status: 'loaded'; readonly document: T; readonly upgrade?: DocumentUpgrade }
  | { readonly status: 'corrupt'; readonly error: CorruptDocumentError };

/** An older file was brought to the current version; the old bytes are kept in `backupPath`. */
export interface DocumentUpgrade {
  readonly fromVersion: number;
  readonly backupPath: string;
}

export interface VersionedJsonFileOptions {
  readonly fs?: StoreFileSystem;
  /** The clock for backup names. */
  readonly now?: () => Date;
}

const MAX_REPORTED_ISSUES = 3;

export class VersionedJsonFile<T> {
  readonly #fs: StoreFileSystem;
  readonly #now: () => Date;
  readonly #chain: readonly DocumentMigration[];
  readonly #writer = new CoalescingWriter<T>((document) => this.#write(document));

  constructor(
    readonly filePath: string,
    readonly format: DocumentFormat<T>,
    options: VersionedJsonFileOptions = {},
  ) {
    this.#fs = options.fs ?? nodeStoreFileSystem;
    this.#now = options.now ?? (() => new Date());
    this.#chain = migrationChain(format.currentVersion, format.migrations);
  }

  async load(): Promise<DocumentLoad<T>> {
    await this.#fs.ensureDirectory(path.dirname(this.filePath));
    await removeAbandonedTemporaryFiles(this.#fs, this.filePath);
    const bytes = await this.#fs.readFileIfExists(this.filePath);
    if (bytes === undefined) return { status: 'absent', document: this.format.empty() };
    const decoded = this.#decode(bytes);
    if (decoded.status === 'problem') {
      const backupPath = await this.#keepCopy(bytes, 'corrupt');
      const { reason, detail } = decoded;
      return {
        status: 'corrupt',
        error: new CorruptDocumentError(this.format.title, this.filePath, reason, detail, backupPath),
      };
    }
    if (decoded.fromVersion === this.format.currentVersion) return { status: 'loaded', document: decoded.document };
    const backupPath = await this.#keepCopy(bytes, `v${decoded.fromVersion}`);
    await this.save(decoded.document);
    return { status: 'loaded', document: decoded.document, upgrade: { fromVersion: decoded.fromVersion, backupPath } };
  }

  /** Queues `document` to be written; a burst of saves writes only the first and the last. */
  save(document: T): Promise<void> {
    return this.#writer.write(document);
  }

  /** Settles when every save requested so far has finished. */
  flushed(): Promise<void> {
    return this.#writer.idle();
  }

  #decode(
    bytes: Uint8Array,
  ):
    | { status: 'ok'; document: T; fromVersion: number }
    | { status: 'problem'; reason: CorruptionReason; detail: string } {
    let parsed: unknown;
    try {
      // A byte order mark (Notepad adds one) is dropped; invalid UTF-8 is an error, not replacement characters.
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (error) {
      return { status: 'problem', reason: 'not-json', detail: (error as Error).message };
    }
    try {
      const { document, fromVersion } = upgradeDocument(parsed, this.format.currentVersion, this.#chain);
      return { status: 'ok', document: this.format.schema.parse(document), fromVersion };
    } catch (error) {
      if (error instanceof DocumentProblemError)
        return { status: 'problem', reason: error.reason, detail: error.detail };
      if (error instanceof z.ZodError) return { status: 'problem', reason: 'invalid', detail: summarizeIssues(error) };
      throw error;
    }
  }

  async #write(document: T): Promise<void> {
    // Never write what load would refuse: a failure here is a bug in the store, not in the file.
    const checked = this.format.schema.safeParse(document);
    if (!checked.success) {
      throw new UsageError(`refusing to save invalid ${this.format.title}: ${summarizeIssues(checked.error)}`);
    }
    const text = `${JSON.stringify(checked.data, null, 2)}\n`;
    await writeFileAtomically(this.#fs, this.filePath, new TextEncoder().encode(text));
  }

  /**
   * Copies `bytes` beside the file as `<name>.<label>-<time><ext>`. A corrupt file the user has not yet
   * dealt with is reported at every start; it is backed up once, not once per start.
   */
  async #keepCopy(bytes: Uint8Array, label: string): Promise<string> {
    const directory = path.dirname(this.filePath);
    const extension = path.extname(this.filePath);
    const stem = path.basename(this.filePath, extension);
    const prefix = `${stem}.${label}-`;
    for (const name of (await this.#fs.listDirectory(directory)).sort()) {
      if (!name.startsWith(prefix) || !name.endsWith(extension)) continue;
      const existing = await this.#fs.readFileIfExists(path.join(directory, name));
      if (existing !== undefined && Buffer.from(existing).equals(bytes)) return path.join(directory, name);
    }
    const stamp = this.#now().toISOString().replaceAll(':', '-');
    for (let attempt = 1; ; attempt++) {
      const backupPath = path.join(directory, `${prefix}${stamp}${attempt === 1 ? '' : `-${attempt}`}${extension}`);
      try {
        await this.#fs.createSyncedFile(backupPath, bytes);
        await this.#fs.syncDirectory(directory);
        return backupPath;
      } catch (error) {
        if (!isErrorCode(error, 'EEXIST')) throw error;
      }
    }
  }
}

function summarizeIssues(error: z.ZodError): string {
  const described = error.issues
    .slice(0, MAX_REPORTED_ISSUES)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'document'}: ${issue.message}`);
  const more = error.issues.length - described.length;
  return more > 0 ? `${described.join('; ')}; and ${more} more` : described.join('; ');
}

/**
 * What opening a store yields. A corrupt file gives no store until the caller, having shown the user the
 * error and its backup path, chooses to start empty: nothing is replaced before that choice.
 */
export type StoreOpening<S> =
  | { readonly status: 'ready'; readonly store: S; readonly upgrade?: DocumentUpgrade }
  | { readonly status: 'corrupt'; readonly error: CorruptDocumentError; startEmpty(): Promise<S> };

export async function openDocumentStore<T, S>(
  file: VersionedJsonFile<T>,
  createStore: (file: VersionedJsonFile<T>, document: T) => S,
): Promise<StoreOpening<S>> {
  const load = await file.load();
  switch (load.status) {
    case 'absent':
      return { status: 'ready', store: createStore(file, load.document) };
    case 'loaded':
      return load.upgrade === undefined
        ? { status: 'ready', store: createStore(file, load.document) }
        : { status: 'ready', store: createStore(file, load.document), upgrade: load.upgrade };
    case 'corrupt': {
      let started = false;
      return {
        status: 'corrupt',
        error: load.error,
        async startEmpty() {
          if (started) throw new UsageError(`the ${file.format.title} store was already started empty`);
          started = true;
          const empty = file.format.empty();
          await file.save(empty);
          return createStore(file, empty);
        },
      };
    }
  }
}
