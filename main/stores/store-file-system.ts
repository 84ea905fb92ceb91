import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * The file operations the stores need, cut at the points where a crash matters, so tests can stop a write
 * between any two of them. Store files may name hosts and users, so they are created owner-only.
 */
export interface StoreFileSystem {
  /** The file's bytes, or undefined when it does not exist. */
  readFileIfExists(filePath: string): Promise<Uint8Array | undefined>;
  /** Creates `filePath` (failing when it exists), writes all of `data` and fsyncs the file before resolving. */
  createSyncedFile(filePath: string, data: Uint8Array): Promise<void>;
  /** Replaces `to` by `from` in one step (same directory). */
  rename(from: string, to: string): Promise<void>;
  /** Makes entries created or renamed in `directory` durable. */
  syncDirectory(directory: string): Promise<void>;
  /** Removes a file; nothing happens when it is already gone. */
  removeFile(filePath: string): Promise<void>;
  listDirectory(directory: string): Promise<string[]>;
  ensureDirectory(directory: string): Promise<void>;
}

export const nodeStoreFileSystem: StoreFileSystem = {
  async readFileIfExists(filePath) {
    try {
      return await readFile(filePath);
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return undefined;
      throw error;
    }
  },
  async createSyncedFile(filePath, data) {
    const handle = await open(filePath, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename,
  async syncDirectory(directory) {
    // Windows cannot open a directory for fsync; NTFS journals the rename itself.
    if (process.platform === 'win32') return;
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async removeFile(filePath) {
    await rm(filePath, { force: true });
  },
  listDirectory: (directory) => readdir(directory),
  async ensureDirectory(directory) {
    await mkdir(directory, { recursive: true, mode: 0o700 });
  },
};

export function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

const temporaryPrefix = (filePath: string) => `.${path.basename(filePath)}.`;
const TEMPORARY_SUFFIX = '.tmp';

/**
 * Replaces `filePath` with `data` so that, whenever the process dies, the path holds either the old
 * content or the new, never a mix: the bytes go to a temporary file in the same directory (same file
 * system, so the rename is atomic), are fsynced, renamed over the target, and the directory is fsynced
 * so the rename itself survives a power loss.
 */
export async function writeFileAtomically(fs: StoreFileSystem, filePath: string, data: Uint8Array): Promise<void> {
  const directory = path.dirname(filePath);
  const temporary = path.join(directory, `${temporaryPrefix(filePath)}${randomUUID()}${TEMPORARY_SUFFIX}`);
  try {
    await fs.createSyncedFile(temporary, data);
    await fs.rename(temporary, filePath);
  } catch (error) {
    await fs.removeFile(temporary).catch(() => undefined); // the write's own error is the one to report
    throw error;
  }
  await fs.syncDirectory(directory);
}

/** Deletes temporary files a crashed `writeFileAtomically` of `filePath` left behind. */
export async function removeAbandonedTemporaryFiles(fs: StoreFileSystem, filePath: string): Promise<void> {
  const directory = path.dirname(filePath);
  const prefix = temporaryPrefix(filePath);
  for (const name of await fs.listDirectory(directory)) {
    if (name.startsWith(prefix) && name.endsWith(TEMPORARY_SUFFIX)) await fs.removeFile(path.join(directory, name));
  }
}
