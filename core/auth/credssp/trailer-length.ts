/**
 * The length of the "header" part of a CredSSP-encrypted WinRM message (PROTOCOL.md §3.4): Windows splits
 * each TLS record at SChannel's stream trailer size (SecPkgContext_StreamSizes.cbTrailer), which depends
 * on the negotiated cipher suite and, for block ciphers, on the plaintext length. Windows checks this
 * split, so it must follow the suite (a constant failed against Server 2016, pywinrm PR #156).
 */

const AEAD_TAG_BYTES = 16;
/** TLS 1.3: the AEAD tag plus the inner content-type byte. */
const TLS13_TRAILER_BYTES = AEAD_TAG_BYTES + 1;
const MAC_BYTES: Readonly<Record<string, number>> = { MD5: 16, SHA: 20, SHA256: 32, SHA384: 48 };

/**
 * `protocol` as Node's `getProtocol()` names it (`TLSv1.2`), `cipherName` as OpenSSL names the suite
 * (`ECDHE-RSA-AES256-GCM-SHA384`, Node's `getCipher().name`).
 */
export function tlsTrailerLength(protocol: string, cipherName: string, plaintextLength: number): number {
  if (protocol === 'TLSv1.3') return TLS13_TRAILER_BYTES;
  const parts = cipherName.toUpperCase().split(/[-_]/);
  if (parts.includes('GCM') || parts.includes('POLY1305')) return AEAD_TAG_BYTES;
  // MAC-then-encrypt: the MAC, then padding up to the block size (always at least one byte, the length).
  // A suite whose name ends in no known MAC counts none, as pyspnego does.
  const beforePadding = plaintextLength + (MAC_BYTES[parts.at(-1) ?? ''] ?? 0);
  const blockBytes = parts.includes('RC4') ? 1 : parts.some((part) => part.includes('DES')) ? 8 : 16;
  const padding = blockBytes === 1 ? 0 : blockBytes - (beforePadding % blockBytes);
  return beforePadding + padding - plaintextLength;
}
