import path from 'node:path';
import { z } from 'zod';
import { addToHistory, historyLineSchema, MAX_HISTORY_ENTRIES } from '../../core/contract/history-service';
import type { DocumentFormat, StoreOpening, VersionedJsonFileOptions } from './versioned-json-file';
import { openDocumentStore, VersionedJsonFile } from './versioned-json-file';

/**
 * The command history of every saved host in `history.json` (version 1): `{ "hosts": { hostId: [line…] } }`,
 * oldest line first, at most MAX_HISTORY_ENTRIES per host. One file for all hosts, rewritten whole on each
 * change like the other stores; saves are coalesced, so a burst of commands costs at most two writes.
 */

export const HISTORY_FILE_NAME = 'history.json';
export const HISTORY_VERSION = 1;

const historyDocumentSchema = z.strictObject({
  version: z.literal(HISTORY_VERSION),
  hosts: z.record(z.uuid(), z.array(historyLineSchema).max(MAX_HISTORY_ENTRIES)),
});
type HistoryDocument = z.output<typeof historyDocumentSchema>;

const historyFormat: DocumentFormat<HistoryDocument> = {
  title: 'command history',
  currentVersion: HISTORY_VERSION,
  schema: historyDocumentSchema,
  migrations: [],
  empty: () => ({ version: HISTORY_VERSION, hosts: {} }),
};

/**
 * PSReadLine's default AddToHistoryHandler keeps these lines out of its history file (they stay in the
 * session's memory). PSReadLine also parses such a line and saves it after all when the words only name
 * SecretManagement's cmdlets (`Get-Secret`…); this rule does not, so it leaves out a little more.
 */
const SENSITIVE_LINE = /password|asplaintext|token|apikey|secret/i;

export function isSensitiveHistoryLine(line: string): boolean {
  return SENSITIVE_LINE.test(line);
}

export class HistoryStore {
  private constructor(
    private readonly file: VersionedJsonFile<HistoryDocument>,
    private document: HistoryDocument,
  ) {}

  static open(directory: string, options: VersionedJsonFileOptions = {}): Promise<StoreOpening<HistoryStore>> {
    const file = new VersionedJsonFile(path.join(directory, HISTORY_FILE_NAME), historyFormat, options);
    return openDocumentStore(file, (opened, document) => new HistoryStore(opened, document));
  }

  /** The host's history, oldest first. */
  history(hostId: string): readonly string[] {
    return this.document.hosts[hostId] ?? [];
  }

  /**
   * Adds `line` to the host's history unless it is blank, repeats the newest entry or looks like it holds a
   * secret; settles once it is on disk.
   */
  async append(hostId: string, line: string): Promise<void> {
    if (isSensitiveHistoryLine(line)) return;
    const history = this.history(hostId);
    const next = addToHistory(history, historyLineSchema.parse(line));
    // Unchanged newest entry and length: the line was blank or a repeat, and there is nothing to write.
    if (next.length === history.length && next.at(-1) === history.at(-1)) return;
    await this.#commit({ ...this.document.hosts, [hostId]: next });
  }

  /** Drops the host's history (the host was deleted). */
  async forgetHost(hostId: string): Promise<void> {
    if (!Object.hasOwn(this.document.hosts, hostId)) return;
    await this.#commit(Object.fromEntries(Object.entries(this.document.hosts).filter(([id]) => id !== hostId)));
  }

  /** Settles once every change made so far is on disk (or its write has failed and been reported). */
  flushed(): Promise<void> {
    return this.file.flushed();
  }

  #commit(hosts: HistoryDocument['hosts']): Promise<void> {
    this.document = { version: HISTORY_VERSION, hosts };
    return this.file.save(this.document);
  }
}
