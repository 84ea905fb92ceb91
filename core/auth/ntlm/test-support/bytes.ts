/** Test-only helpers: hex conversion and the raw tokens of ../shared/captures/tokens (pyspnego, MIT). */

import { readFileSync } from 'node:fs';

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Hex with optional whitespace → bytes. */
export const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

export const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

export const utf16 = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'utf16le'));

const TOKENS_DIRECTORY = new URL('../../../../../shared/captures/tokens/', import.meta.url);

export const captureToken = (name: string): Uint8Array =>
  Uint8Array.from(readFileSync(new URL(name, TOKENS_DIRECTORY)));

/** A deterministic `randomBytes` handing out the given chunks in order (fails when asked for other sizes). */
export function scriptedRandom(...chunks: Uint8Array[]): (length: number) => Uint8Array {
  return (length) => {
    const next = chunks.shift();
    if (next === undefined || next.length !== length) {
      throw new Error(`scripted randomness: asked for ${length} bytes, had ${next?.length ?? 'none'}`);
    }
    return next;
  };
}

/** The MS-NLMP 4.2 example inputs (PROTOCOL.md §4.6). */
export const MS_NLMP = {
  user: 'User',
  domain: 'Domain',
  password: 'Password',
  randomSessionKey: new Uint8Array(16).fill(0x55),
  time: new Uint8Array(8),
  clientChallenge: new Uint8Array(8).fill(0xaa),
  serverChallenge: fromHex('0123456789abcdef'),
  /** NbDomainName "Domain", NbComputerName "Server", EOL. */
  avPairs: fromHex('02000c0044006f006d00610069006e00 01000c005300650072007600650072 00 00000000'),
} as const;
