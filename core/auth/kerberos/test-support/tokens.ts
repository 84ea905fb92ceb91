/** Test-only: the raw Kerberos tokens of ../shared/captures/tokens (pyspnego, recorded from Windows). */
import { readFileSync } from 'node:fs';

const TOKENS_DIRECTORY = new URL('../../../../../shared/captures/tokens/', import.meta.url);

export const readToken = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, TOKENS_DIRECTORY)));

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
