/**
 * rc4-hmac (23), RFC 4757, for KDC exchanges with accounts that only have an RC4 key. The key is the
 * NT hash (MD4 of the UTF-16LE password, no salt); usages are renumbered the Microsoft way. GSS wrap
 * with an RC4 session key is not offered (PROTOCOL.md §3.4: Windows' RC4 wrap tokens are non-standard),
 * so service tickets are requested with AES session keys only.
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { md4 } from '../../crypto/md4';
import { Rc4 } from '../../crypto/rc4';
import { KerberosIntegrityError } from '../errors';
import type { EncryptionProfile } from './enctypes';

const CONFOUNDER = 8;
const MAC = 16;
const SIGNATURE_KEY_CONSTANT = new TextEncoder().encode('signaturekey\0');

const hmacMd5 = (key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array => {
  const hmac = createHmac('md5', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
};

/** RFC 4757 §3 key-usage renumbering (as MIT applies it): AS-REP part 3→8, GSS wrap signing 23→13. */
const msUsage = (usage: number): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, usage === 3 ? 8 : usage === 23 ? 13 : usage, true);
  return out;
};

export const rc4HmacProfile: EncryptionProfile = {
  etype: 23,
  name: 'rc4-hmac',
  keyLength: 16,
  confounderLength: CONFOUNDER,
  checksumType: -138,
  overhead: CONFOUNDER + MAC,
  stringToKey(password) {
    return md4(Buffer.from(password, 'utf16le'));
  },
  encrypt(key, usage, plaintext, confounder) {
    if (confounder.length !== CONFOUNDER) throw new RangeError(`confounder of ${confounder.length} bytes`);
    const usageKey = hmacMd5(key, msUsage(usage));
    const input = new Uint8Array(CONFOUNDER + plaintext.length);
    input.set(confounder);
    input.set(plaintext, CONFOUNDER);
    const mac = hmacMd5(usageKey, input);
    const sealed = new Rc4(hmacMd5(usageKey, mac)).process(input);
    const out = new Uint8Array(MAC + sealed.length);
    out.set(mac);
    out.set(sealed, MAC);
    return out;
  },
  decrypt(key, usage, ciphertext) {
    if (ciphertext.length < MAC + CONFOUNDER) {
      throw new KerberosIntegrityError(`RC4 ciphertext of ${ciphertext.length} bytes is too short`);
    }
    const usageKey = hmacMd5(key, msUsage(usage));
    const mac = ciphertext.subarray(0, MAC);
    const input = new Rc4(hmacMd5(usageKey, mac)).process(ciphertext.subarray(MAC));
    if (!timingSafeEqual(hmacMd5(usageKey, input), mac)) {
      throw new KerberosIntegrityError(`integrity check failed (key usage ${usage})`);
    }
    return input.subarray(CONFOUNDER);
  },
  checksum(key, usage, data) {
    const digest = createHash('md5').update(msUsage(usage)).update(data).digest();
    return hmacMd5(hmacMd5(key, SIGNATURE_KEY_CONSTANT), digest);
  },
};
