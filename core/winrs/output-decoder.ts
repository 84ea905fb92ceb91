import { TextDecoder } from 'node:util';
import { UsageError } from '../errors';

/**
 * Text decoding of a command's output streams. The server sends a stream in chunks cut anywhere, so a
 * multibyte character can straddle two rsp:Stream elements or two Receive responses: each stream
 * keeps its own streaming decoder, and only its End flushes what is left (an incomplete sequence then
 * becomes U+FFFD rather than an error: output is shown, never rejected).
 */
export class StreamTextDecoder {
  readonly #decoder: TextDecoder;

  constructor(encoding: string) {
    this.#decoder = new TextDecoder(encoding);
  }

  decode(chunk: Uint8Array): string {
    return this.#decoder.decode(chunk, { stream: true });
  }

  /** Flushes at the end of the stream. */
  end(): string {
    return this.#decoder.decode();
  }
}

/** Windows code pages a WinRS shell may run with that have a WHATWG decoder (DESIGN.md: UTF-8 by default). */
const codePageEncodings: ReadonlyMap<number, string> = new Map([
  [65001, 'utf-8'],
  [866, 'ibm866'],
  [874, 'windows-874'],
  [932, 'shift_jis'],
  [936, 'gbk'],
  [949, 'euc-kr'],
  [950, 'big5'],
  [1250, 'windows-1250'],
  [1251, 'windows-1251'],
  [1252, 'windows-1252'],
  [1253, 'windows-1253'],
  [1254, 'windows-1254'],
  [1255, 'windows-1255'],
  [1256, 'windows-1256'],
  [1257, 'windows-1257'],
  [1258, 'windows-1258'],
]);

/**
 * The encoding to decode output with. `null` leaves the code page to the server (its OEM code page,
 * unknown to us): output is then read as UTF-8, exact for ASCII only.
 */
export function encodingForCodePage(codePage: number | null): string {
  if (codePage === null) return 'utf-8';
  const encoding = codePageEncodings.get(codePage);
  if (encoding === undefined) {
    throw new UsageError(
      `no decoder for code page ${codePage}; use 65001 (UTF-8) or one of ${[...codePageEncodings.keys()].join(', ')}`,
    );
  }
  return encoding;
}
