import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ContractLogger } from '../../../core/contract/server';
import type { AppOptions, ComposedApp } from '../../index';
import { composeApp } from '../../index';
import { InMemoryCredentialStore } from '../../stores/memory-credential-store';

export interface LogEntry {
  readonly level: 'warn' | 'error';
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
}

export function capturingLogger(): { logger: ContractLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    logger: {
      warn: (message, fields) => entries.push({ level: 'warn', message, fields }),
      error: (message, fields) => entries.push({ level: 'error', message, fields }),
    },
  };
}

/** A temporary data directory, removed by `removeDirectory`. */
export async function temporaryDirectory(): Promise<{ directory: string; removeDirectory: () => Promise<void> }> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-services-'));
  return { directory, removeDirectory: () => rm(directory, { recursive: true, force: true }) };
}

/** The composed services over stores in `directory`, secrets in memory, log captured. */
export async function openTestApp(
  directory: string,
  options: AppOptions = {},
): Promise<ComposedApp & { credentialStore: InMemoryCredentialStore; log: LogEntry[] }> {
  const credentialStore = new InMemoryCredentialStore();
  const { logger, entries } = capturingLogger();
  const app = await composeApp({ dataDirectory: directory, credentialStore, logger, ...options });
  return { ...app, credentialStore, log: entries };
}
