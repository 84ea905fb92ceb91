import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Looking for a secret where it must not be (DESIGN.md §7), in the encodings a leak would take: as typed
 * (UTF-8), JSON-escaped, UTF-16LE, base64 and hex.
 */
export function secretEncodings(secret: string): Buffer[] {
  return [
    Buffer.from(secret, 'utf8'),
    Buffer.from(JSON.stringify(secret).slice(1, -1), 'utf8'),
    Buffer.from(secret, 'utf16le'),
    Buffer.from(Buffer.from(secret, 'utf8').toString('base64'), 'latin1'),
    Buffer.from(Buffer.from(secret, 'utf8').toString('hex'), 'latin1'),
  ];
}

/** Whether `data` holds `secret` in any of its encodings. */
export function containsSecret(data: string | Buffer, secret: string): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return secretEncodings(secret).some((needle) => bytes.includes(needle));
}

/** The files under `directory`, recursively, that hold `secret` in any of its encodings. */
export async function filesContaining(directory: string, secret: string): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (containsSecret(await readFile(file), secret)) hits.push(file);
  }
  return hits;
}
