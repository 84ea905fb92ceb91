/**
 * TLS record framing (RFC 8446 §5.1, RFC 5246 §6.2): every CredSSP token and every encrypted WinRM part
 * carries whole records. A TLS engine keeps a cut-short record and waits for the rest, which would hang
 * an exchange that will never bring it, so whole records are checked before the engine sees the bytes.
 */

const RECORD_HEADER_BYTES = 5;
/** RFC 8446 §5.2: 2^14 + 256 (TLS 1.3); TLS 1.2 allows 2^14 + 2048, the larger of the two. */
const MAX_RECORD_BODY_BYTES = 2 ** 14 + 2048;
const CONTENT_TYPES = new Set([20, 21, 22, 23]); // change_cipher_spec, alert, handshake, application_data

/** Why `bytes` is not a run of whole TLS records, or undefined when it is (an empty run included). */
export function tlsRecordProblem(bytes: Uint8Array): string | undefined {
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < RECORD_HEADER_BYTES) return `a TLS record header is cut short at offset ${offset}`;
    const type = bytes[offset]!;
    const major = bytes[offset + 1]!;
    const length = (bytes[offset + 3]! << 8) | bytes[offset + 4]!;
    if (!CONTENT_TYPES.has(type) || major !== 3) return `no TLS record starts at offset ${offset}`;
    if (length > MAX_RECORD_BODY_BYTES) return `a TLS record at offset ${offset} claims ${length} bytes`;
    offset += RECORD_HEADER_BYTES + length;
    if (offset > bytes.length) return `the TLS record ending at offset ${offset} is cut short`;
  }
  return undefined;
}
