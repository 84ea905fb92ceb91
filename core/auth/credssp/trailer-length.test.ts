import { describe, expect, it } from 'vitest';
import { tlsTrailerLength } from './trailer-length';

describe('tlsTrailerLength', () => {
  // pyspnego tests/test_credssp.py, plaintext of 30 bytes (PROTOCOL.md §3.4).
  it.each([
    ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', 17],
    ['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 16],
    ['TLSv1.2', 'RC4-MD5', 16],
    ['TLSv1.2', 'ECDH-ECDSA-3DES-SHA256', 34],
    ['TLSv1.2', 'ECDH-RSA-AES-SHA384', 50],
    ['TLSv1.2', 'ECDH-RSA-AES', 2],
  ])('%s %s → %i (published vectors)', (protocol, cipher, expected) => {
    expect(tlsTrailerLength(protocol, cipher, 30)).toBe(expected);
  });

  it('follows the plaintext length for CBC suites: MAC plus padding to the block, at least one byte', () => {
    // SHA-1 MAC (20) + padding: 16384 + 20 = 16404 ≡ 4 (mod 16) → 12 bytes of padding.
    expect(tlsTrailerLength('TLSv1.2', 'ECDHE-RSA-AES256-SHA', 16384)).toBe(32);
    // 12 + 20 = 32 ≡ 0 (mod 16): a whole block of padding.
    expect(tlsTrailerLength('TLSv1', 'AES128-SHA', 12)).toBe(36);
    expect(tlsTrailerLength('TLSv1.2', 'ECDHE-RSA-AES256-SHA384', 16384)).toBe(48 + 16);
    expect(tlsTrailerLength('TLSv1', 'DES-CBC3-SHA', 4)).toBe(20 + 8);
  });

  it('is the AEAD tag for TLS 1.2 GCM and ChaCha20-Poly1305 whatever the length, and 17 for every TLS 1.3 suite', () => {
    for (const length of [1, 100, 16384]) {
      expect(tlsTrailerLength('TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', length)).toBe(16);
      expect(tlsTrailerLength('TLSv1.2', 'ECDHE-RSA-CHACHA20-POLY1305', length)).toBe(16);
      expect(tlsTrailerLength('TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256', length)).toBe(17);
    }
  });
});
