/**
 * RFC 4121 per-message tokens of an established Kerberos context (PROTOCOL.md §6.5): sealed wrap
 * tokens (TOK_ID 05 04) and MIC tokens (04 04) for the AES enctypes.
 *
 * Wrap is laid out as Windows and MIT's IOV path do for WinRM: EC = 0, the encrypted copy of the
 * header after the plaintext, the ciphertext rotated right by RRC = 28 so that the token header,
 * the rotated trailer and the encrypted confounder form one 60-byte "header" and the rest is exactly
 * as long as the plaintext. Unwrap accepts any EC and RRC. Sequence numbers run per direction from
 * the values the AP exchange set, and a token out of order is refused: WinRM messages on one
 * connection are never reordered, so a gap means loss or replay.
 */

import { timingSafeEqual } from 'node:crypto';
import type { MessageSealing } from '../mechanism';
import { EncryptionType, profileOf, type KerberosKey } from './crypto/enctypes';
import { KerberosIntegrityError, KerberosMessageError } from './errors';

/** RFC 4121 §2: key usages of the per-message tokens. */
export const GssKeyUsage = { acceptorSeal: 22, acceptorSign: 23, initiatorSeal: 24, initiatorSign: 25 } as const;

const TokenFlag = { sentByAcceptor: 0x01, sealed: 0x02, acceptorSubkey: 0x04 } as const;
const WRAP_TOKEN_ID = 0x0504;
const MIC_TOKEN_ID = 0x0404;
const HEADER = 16;

export type GssRole = 'initiator' | 'acceptor';

export interface CfxOptions {
  readonly role: GssRole;
  /** The acceptor's subkey when its AP-REP carried one, else the initiator's subkey. */
  readonly key: KerberosKey;
  readonly acceptorSubkey: boolean;
  /** The first sequence number this side sends (initiator: the authenticator's; acceptor: the AP-REP's). */
  readonly sendSequence: number;
  readonly receiveSequence: number;
  readonly randomBytes: (length: number) => Uint8Array;
  /** `protocol=` of the encrypted HTTP messages: HTTP-SPNEGO- or HTTP-Kerberos-session-encrypted. */
  readonly encryptedProtocol: string;
}

const rotateLeft = (bytes: Uint8Array, count: number): Uint8Array => {
  if (bytes.length === 0) return bytes;
  const shift = count % bytes.length;
  const out = new Uint8Array(bytes.length);
  out.set(bytes.subarray(shift));
  out.set(bytes.subarray(0, shift), bytes.length - shift);
  return out;
};

const sequenceBytes = (header: Uint8Array, sequence: number): void => {
  const view = new DataView(header.buffer, header.byteOffset, header.length);
  view.setUint32(8, Math.floor(sequence / 2 ** 32));
  view.setUint32(12, sequence >>> 0);
};

export class CfxSecurityContext implements MessageSealing {
  readonly encryptedProtocol: string;
  readonly maxChunkBytes = undefined;
  readonly #options: CfxOptions;
  readonly #confounderLength: number;
  readonly #trailer: number;
  #sendSequence: number;
  #receiveSequence: number;

  constructor(options: CfxOptions) {
    if (
      options.key.etype !== EncryptionType.aes128CtsHmacSha196 &&
      options.key.etype !== EncryptionType.aes256CtsHmacSha196
    ) {
      throw new KerberosMessageError(`Kerberos message protection needs an AES key, not etype ${options.key.etype}`);
    }
    const profile = profileOf(options.key.etype);
    this.#options = options;
    this.encryptedProtocol = options.encryptedProtocol;
    this.#confounderLength = profile.confounderLength;
    // RRC moves the encrypted header copy and the HMAC in front of the data.
    this.#trailer = HEADER + profile.overhead - profile.confounderLength;
    this.#sendSequence = options.sendSequence;
    this.#receiveSequence = options.receiveSequence;
  }

  get #flags(): number {
    return (
      (this.#options.role === 'acceptor' ? TokenFlag.sentByAcceptor : 0) |
      (this.#options.acceptorSubkey ? TokenFlag.acceptorSubkey : 0)
    );
  }

  #usage(kind: 'seal' | 'sign', direction: 'send' | 'receive'): number {
    const sentByInitiator = (this.#options.role === 'initiator') === (direction === 'send');
    if (kind === 'seal') return sentByInitiator ? GssKeyUsage.initiatorSeal : GssKeyUsage.acceptorSeal;
    return sentByInitiator ? GssKeyUsage.initiatorSign : GssKeyUsage.acceptorSign;
  }

  #tokenHeader(tokenId: number, flags: number, ec: number, rrc: number, sequence: number): Uint8Array {
    const header = new Uint8Array(HEADER);
    const view = new DataView(header.buffer);
    view.setUint16(0, tokenId);
    header[2] = flags;
    if (tokenId === WRAP_TOKEN_ID) {
      header[3] = 0xff;
      view.setUint16(4, ec);
      view.setUint16(6, rrc);
    } else {
      header.fill(0xff, 3, 8);
    }
    sequenceBytes(header, sequence);
    return header;
  }

  wrap(plaintext: Uint8Array): { readonly header: Uint8Array; readonly data: Uint8Array } {
    const { key, randomBytes } = this.#options;
    const sequence = this.#sendSequence++;
    const flags = this.#flags | TokenFlag.sealed;
    const input = new Uint8Array(plaintext.length + HEADER);
    input.set(plaintext);
    input.set(this.#tokenHeader(WRAP_TOKEN_ID, flags, 0, 0, sequence), plaintext.length);
    const ciphertext = profileOf(key.etype).encrypt(
      key.bytes,
      this.#usage('seal', 'send'),
      input,
      randomBytes(this.#confounderLength),
    );
    const split = ciphertext.length - this.#trailer;
    const header = new Uint8Array(HEADER + this.#trailer + this.#confounderLength);
    header.set(this.#tokenHeader(WRAP_TOKEN_ID, flags, 0, this.#trailer, sequence));
    header.set(ciphertext.subarray(split), HEADER);
    header.set(ciphertext.subarray(0, this.#confounderLength), HEADER + this.#trailer);
    return { header, data: ciphertext.slice(this.#confounderLength, split) };
  }

  unwrap(header: Uint8Array, data: Uint8Array): Uint8Array {
    if (header.length < HEADER) throw new KerberosMessageError(`wrap token header of ${header.length} bytes`);
    const view = new DataView(header.buffer, header.byteOffset, HEADER);
    if (view.getUint16(0) !== WRAP_TOKEN_ID || header[3] !== 0xff) {
      throw new KerberosMessageError('not a Kerberos wrap token (TOK_ID 05 04)');
    }
    const flags = header[2]!;
    this.#checkFlags(flags);
    if ((flags & TokenFlag.sealed) === 0) throw new KerberosIntegrityError('the peer sent an unencrypted wrap token');
    const ec = view.getUint16(4);
    const rrc = view.getUint16(6);
    const rotated = new Uint8Array(header.length - HEADER + data.length);
    rotated.set(header.subarray(HEADER));
    rotated.set(data, header.length - HEADER);
    // RFC 4121 rotates by RRC; Windows by RRC + EC (MIT's "DCE style" note). They differ only when EC ≠ 0.
    const rotations = ec === 0 ? [rrc] : [rrc, rrc + ec];
    let decrypted: Uint8Array | undefined;
    for (const rotation of rotations) {
      try {
        decrypted = profileOf(this.#options.key.etype).decrypt(
          this.#options.key.bytes,
          this.#usage('seal', 'receive'),
          rotateLeft(rotated, rotation),
        );
        break;
      } catch (error) {
        if (!(error instanceof KerberosIntegrityError) || rotation === rotations[rotations.length - 1]) throw error;
      }
    }
    if (decrypted === undefined || decrypted.length < HEADER + ec) {
      throw new KerberosMessageError('wrap token too short for its header copy');
    }
    const copy = decrypted.subarray(decrypted.length - HEADER);
    const expected = header.slice(0, HEADER);
    expected[6] = 0;
    expected[7] = 0;
    if (!timingSafeEqual(copy, expected)) throw new KerberosIntegrityError('wrap token header does not match its copy');
    this.#checkSequence(view);
    return decrypted.slice(0, decrypted.length - HEADER - ec);
  }

  /** A MIC token over `message` (RFC 4121 §4.2.6.1); SPNEGO's mechListMIC. */
  getMic(message: Uint8Array): Uint8Array {
    const { key } = this.#options;
    const header = this.#tokenHeader(MIC_TOKEN_ID, this.#flags, 0, 0, this.#sendSequence++);
    const checksum = profileOf(key.etype).checksum(key.bytes, this.#usage('sign', 'send'), concat(message, header));
    return concat(header, checksum);
  }

  verifyMic(message: Uint8Array, token: Uint8Array): void {
    if (token.length < HEADER) throw new KerberosMessageError(`MIC token of ${token.length} bytes`);
    const header = token.subarray(0, HEADER);
    const view = new DataView(header.buffer, header.byteOffset, HEADER);
    if (view.getUint16(0) !== MIC_TOKEN_ID || header.subarray(3, 8).some((byte) => byte !== 0xff)) {
      throw new KerberosMessageError('not a Kerberos MIC token (TOK_ID 04 04)');
    }
    this.#checkFlags(header[2]!);
    const { key } = this.#options;
    const expected = profileOf(key.etype).checksum(key.bytes, this.#usage('sign', 'receive'), concat(message, header));
    const received = token.subarray(HEADER);
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
      throw new KerberosIntegrityError('the MIC does not verify');
    }
    this.#checkSequence(view);
  }

  #checkFlags(flags: number): void {
    const fromAcceptor = (flags & TokenFlag.sentByAcceptor) !== 0;
    if (fromAcceptor !== (this.#options.role === 'initiator')) {
      throw new KerberosIntegrityError('token sent in the wrong direction (SentByAcceptor flag)');
    }
    if (((flags & TokenFlag.acceptorSubkey) !== 0) !== this.#options.acceptorSubkey) {
      throw new KerberosIntegrityError('token AcceptorSubkey flag does not match the context');
    }
  }

  #checkSequence(view: DataView): void {
    const sequence = view.getUint32(8) * 2 ** 32 + view.getUint32(12);
    if (sequence !== this.#receiveSequence) {
      throw new KerberosIntegrityError(`token sequence number ${sequence}, expected ${this.#receiveSequence}`);
    }
    this.#receiveSequence++;
  }
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
