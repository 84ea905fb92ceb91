/**
 * NTLM session security with extended session security (MS-NLMP 3.4; PROTOCOL.md §4.4): per-direction
 * signing and sealing keys, one RC4 keystream per direction that continues across messages, and
 * independent sequence numbers starting at 0.
 *
 * Signature (16 bytes) = 01000000 ‖ checksum(8) ‖ LE32(seq), checksum = HMAC_MD5(SignKey, LE32(seq) ‖
 * message)[0..8], itself RC4-encrypted with the direction's handle (after the message, when sealing)
 * if key exchange was negotiated.
 */

import { timingSafeEqual } from 'node:crypto';
import { UsageError } from '../../errors';
import type { MessageSealing } from '../mechanism';
import { Rc4 } from '../crypto/rc4';
import { NtlmIntegrityError } from './errors';
import { hasFlag, NegotiateFlag } from './flags';
import { hmacMd5, md5 } from './ntlmv2';

export type NtlmRole = 'initiator' | 'acceptor';
type Direction = 'client-to-server' | 'server-to-client';

const SIGNATURE_LENGTH = 16;
const SIGNATURE_VERSION = Uint8Array.from([1, 0, 0, 0]);

/** The magic constants include their terminating NUL byte (MS-NLMP 3.4.5.2, 3.4.5.3). */
const magic = (text: string): Uint8Array => Buffer.from(`${text}\0`, 'latin1');
const SIGNING_MAGIC: Record<Direction, Uint8Array> = {
  'client-to-server': magic('session key to client-to-server signing key magic constant'),
  'server-to-client': magic('session key to server-to-client signing key magic constant'),
};
const SEALING_MAGIC: Record<Direction, Uint8Array> = {
  'client-to-server': magic('session key to client-to-server sealing key magic constant'),
  'server-to-client': magic('session key to server-to-client sealing key magic constant'),
};

export const signingKey = (exportedSessionKey: Uint8Array, direction: Direction): Uint8Array =>
  md5(exportedSessionKey, SIGNING_MAGIC[direction]);

/** SEALKEY with extended session security: the session key cut to 128, 56 or 40 bits, then MD5 with the magic. */
export function sealingKey(exportedSessionKey: Uint8Array, flags: number, direction: Direction): Uint8Array {
  const keyLength = hasFlag(flags, NegotiateFlag.key128) ? 16 : hasFlag(flags, NegotiateFlag.key56) ? 7 : 5;
  return md5(exportedSessionKey.subarray(0, keyLength), SEALING_MAGIC[direction]);
}

const le32 = (value: number): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
};

/** One direction's keys, keystream and sequence number. */
class DirectionState {
  readonly signKey: Uint8Array;
  readonly sealKey: Uint8Array;
  rc4: Rc4;
  sequence = 0;

  constructor(exportedSessionKey: Uint8Array, flags: number, direction: Direction) {
    this.signKey = signingKey(exportedSessionKey, direction);
    this.sealKey = sealingKey(exportedSessionKey, flags, direction);
    this.rc4 = new Rc4(this.sealKey);
  }

  /** The signature of `message` at the current sequence number (continuing the keystream). */
  signature(message: Uint8Array, keyExchange: boolean): Uint8Array {
    const sequence = le32(this.sequence);
    const mac = hmacMd5(this.signKey, sequence, message).subarray(0, 8);
    const checksum = keyExchange ? this.rc4.process(mac) : mac;
    this.sequence = (this.sequence + 1) >>> 0;
    return Buffer.concat([SIGNATURE_VERSION, checksum, sequence]);
  }
}

export class NtlmSessionSecurity {
  readonly #outgoing: DirectionState;
  readonly #incoming: DirectionState;
  readonly #keyExchange: boolean;

  /**
   * `flags` are the negotiated ones; they must include SIGN, SEAL and EXTENDED_SESSIONSECURITY (the only
   * session security this implementation offers).
   */
  constructor(exportedSessionKey: Uint8Array, flags: number, role: NtlmRole) {
    for (const [flag, name] of [
      [NegotiateFlag.sign, 'SIGN'],
      [NegotiateFlag.seal, 'SEAL'],
      [NegotiateFlag.extendedSessionSecurity, 'EXTENDED_SESSIONSECURITY'],
    ] as const) {
      if (!hasFlag(flags, flag)) throw new UsageError(`NTLM session security needs the ${name} flag`);
    }
    const [outgoing, incoming]: [Direction, Direction] =
      role === 'initiator' ? ['client-to-server', 'server-to-client'] : ['server-to-client', 'client-to-server'];
    this.#outgoing = new DirectionState(exportedSessionKey, flags, outgoing);
    this.#incoming = new DirectionState(exportedSessionKey, flags, incoming);
    this.#keyExchange = hasFlag(flags, NegotiateFlag.keyExchange);
  }

  /** GSS_Wrap with confidentiality: encrypts `message` and signs the plaintext. */
  seal(message: Uint8Array): { readonly signature: Uint8Array; readonly sealed: Uint8Array } {
    const sealed = this.#outgoing.rc4.process(message);
    return { signature: this.#outgoing.signature(message, this.#keyExchange), sealed };
  }

  /** GSS_Unwrap: decrypts `sealed` and checks `signature` (key, checksum and sequence number). */
  unseal(signature: Uint8Array, sealed: Uint8Array): Uint8Array {
    this.#checkLength(signature);
    const message = this.#incoming.rc4.process(sealed);
    this.#verify(message, signature);
    return message;
  }

  /** GSS_GetMIC: the signature of `message`, which travels in clear. */
  sign(message: Uint8Array): Uint8Array {
    return this.#outgoing.signature(message, this.#keyExchange);
  }

  /** GSS_VerifyMIC. */
  verify(message: Uint8Array, signature: Uint8Array): void {
    this.#checkLength(signature);
    this.#verify(message, signature);
  }

  /**
   * Restarts a direction's keystream from its sealing key, keeping its sequence number: MS-SPNG's rule
   * after NTLM signs (outgoing) or verifies (incoming) the SPNEGO mechListMIC (PROTOCOL.md §6.3).
   */
  resetKeystream(which: 'outgoing' | 'incoming'): void {
    const state = which === 'outgoing' ? this.#outgoing : this.#incoming;
    state.rc4 = new Rc4(state.sealKey);
  }

  #checkLength(signature: Uint8Array): void {
    if (signature.length !== SIGNATURE_LENGTH) {
      throw new NtlmIntegrityError(`an NTLM signature has 16 bytes, not ${signature.length}`);
    }
  }

  #verify(message: Uint8Array, signature: Uint8Array): void {
    const expectedSequence = this.#incoming.sequence;
    const expected = this.#incoming.signature(message, this.#keyExchange);
    if (!timingSafeEqual(expected, signature)) {
      throw new NtlmIntegrityError(
        `the server's NTLM signature does not verify (expected sequence number ${expectedSequence}): ` +
          'the message was altered, or the security context is out of step',
      );
    }
  }
}

/** WinRM message encryption with NTLM (PROTOCOL.md §3.4): header = the 16-byte signature, data = the sealed bytes. */
export function ntlmMessageSealing(session: NtlmSessionSecurity): MessageSealing {
  return {
    encryptedProtocol: 'application/HTTP-SPNEGO-session-encrypted',
    maxChunkBytes: undefined,
    wrap(plaintext) {
      const { signature, sealed } = session.seal(plaintext);
      return { header: signature, data: sealed };
    },
    unwrap: (header, data) => session.unseal(header, data),
  };
}
