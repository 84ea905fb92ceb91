import { UsageError } from '../../core/errors';

/**
 * Upgrading a versioned JSON document (`{ "version": n, … }`) one version at a time. Each step reads
 * version `from` and returns version `from + 1`; a chain of steps brings any older file to the current
 * version, so every format ever released stays readable.
 */
export interface DocumentMigration {
  readonly from: number;
  /** Throws (a ZodError or a DocumentProblemError) when the input is not a valid version-`from` document. */
  migrate(document: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

export type DocumentProblemReason = 'invalid' | 'newer-version';

/** Why a parsed document cannot be used (turned into a CorruptDocumentError once a backup is made). */
export class DocumentProblemError extends Error {
  override readonly name = 'DocumentProblemError';

  constructor(
    readonly reason: DocumentProblemReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Checks at definition time that `migrations` lead from every version 1 … current−1 to the next. */
export function migrationChain(currentVersion: number, migrations: readonly DocumentMigration[]): DocumentMigration[] {
  const chain: DocumentMigration[] = [];
  for (let version = 1; version < currentVersion; version++) {
    const step = migrations.filter((migration) => migration.from === version);
    if (step.length !== 1)
      throw new UsageError(`need exactly one migration from version ${version}, have ${step.length}`);
    chain.push(step[0]!);
  }
  if (migrations.length !== chain.length)
    throw new UsageError(`a migration starts at or after version ${currentVersion}`);
  return chain;
}

export function documentVersion(document: unknown): number {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new DocumentProblemError('invalid', 'the document is not a JSON object');
  }
  const version = (document as Record<string, unknown>)['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new DocumentProblemError('invalid', 'the document has no valid "version" number');
  }
  return version;
}

/** Brings `document` to `currentVersion`; `chain` comes from migrationChain. */
export function upgradeDocument(
  document: unknown,
  currentVersion: number,
  chain: readonly DocumentMigration[],
): { document: unknown; fromVersion: number } {
  const fromVersion = documentVersion(document);
  if (fromVersion > currentVersion) {
    throw new DocumentProblemError(
      'newer-version',
      `format version ${fromVersion} comes from a newer WinRM Desk; this one reads up to version ${currentVersion}`,
    );
  }
  let upgraded = document as Record<string, unknown>;
  for (const step of chain.slice(fromVersion - 1)) {
    upgraded = step.migrate(upgraded);
    if (upgraded['version'] !== step.from + 1) {
      throw new UsageError(`the migration from version ${step.from} did not produce version ${step.from + 1}`);
    }
  }
  return { document: upgraded, fromVersion };
}
