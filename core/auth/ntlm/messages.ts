/**
 * The three NTLM messages (MS-NLMP 2.2.1; PROTOCOL.md §4.2): encoders for what the client sends and
 * bounded decoders for all three. Every payload field (Len u16, MaxLen u16, Offset u32) is checked
 * against the message before it is read; a field that points outside the message, into the fixed
 * header, or a string of odd UTF-16 length is an NtlmMessageError. Decoded byte fields are views into
 * the input; strings are decoded as UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE is set, else as OEM
 * (read as Latin-1).
 */

import { decodeAvPairs, type AvPair } from './av-pairs';
import { NtlmMessageError } from './errors';
import { hasFlag, NegotiateFlag } from './flags';

export const NTLM_SIGNATURE = Uint8Array.from([0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00]); // "NTLMSSP\0"

export const MessageType = { negotiate: 1, challenge: 2, authenticate: 3 } as const;

/** MS-NLMP 2.2.2.10 VERSION. Informational only: no computation depends on it. */
export interface NtlmVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly revision: number;
}

/** What this client reports in VERSION: Windows 10.0 with the current NTLM revision (15). */
export const CLIENT_VERSION: NtlmVersion = { major: 10, minor: 0, build: 20348, revision: 15 };

const VERSION_LENGTH = 8;
const MIC_LENGTH = 16;
const NEGOTIATE_HEADER = 32;
const CHALLENGE_HEADER = 48;
const AUTHENTICATE_HEADER = 64;
/** Offset of the MIC in AUTHENTICATE: after the 64-byte header and the VERSION. */
export const AUTHENTICATE_MIC_OFFSET = AUTHENTICATE_HEADER + VERSION_LENGTH;

export interface NegotiateMessage {
  readonly flags: number;
  readonly domainName: string;
  readonly workstation: string;
  readonly version: NtlmVersion | undefined;
}

export interface ChallengeMessage {
  readonly flags: number;
  readonly targetName: string;
  readonly serverChallenge: Uint8Array;
  readonly targetInfo: readonly AvPair[];
  readonly version: NtlmVersion | undefined;
}

export interface AuthenticateMessage {
  readonly flags: number;
  readonly lmChallengeResponse: Uint8Array;
  readonly ntChallengeResponse: Uint8Array;
  readonly domainName: string;
  readonly userName: string;
  readonly workstation: string;
  readonly encryptedRandomSessionKey: Uint8Array;
  readonly version: NtlmVersion | undefined;
  /** Present when the payload starts after the MIC slot (offset 72). */
  readonly mic: Uint8Array | undefined;
}

// --- Decoding -------------------------------------------------------------------------------------

class MessageReader {
  readonly view: DataView;
  /** Lowest offset of a non-empty payload field seen so far: where the fixed part must have ended. */
  payloadStart: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly what: string,
    type: number,
    private readonly headerLength: number,
  ) {
    if (bytes.length < headerLength) {
      throw new NtlmMessageError(
        `NTLM ${what} of ${bytes.length} bytes is shorter than its ${headerLength}-byte header`,
      );
    }
    if (!NTLM_SIGNATURE.every((byte, i) => bytes[i] === byte)) {
      throw new NtlmMessageError(`NTLM ${what}: the message does not start with NTLMSSP\\0`);
    }
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const actual = this.view.getUint32(8, true);
    if (actual !== type) throw new NtlmMessageError(`expected NTLM ${what} (type ${type}), got type ${actual}`);
    this.payloadStart = bytes.length;
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  /** The payload a Len/MaxLen/Offset field at `offset` describes. */
  field(offset: number, name: string): Uint8Array {
    const length = this.view.getUint16(offset, true);
    const start = this.view.getUint32(offset + 4, true);
    if (length === 0) return this.bytes.subarray(0, 0);
    if (start < this.headerLength || start + length > this.bytes.length) {
      throw new NtlmMessageError(
        `NTLM ${this.what}: ${name} (${length} bytes at offset ${start}) lies outside the ${this.bytes.length}-byte payload`,
      );
    }
    this.payloadStart = Math.min(this.payloadStart, start);
    return this.bytes.subarray(start, start + length);
  }

  text(offset: number, name: string, unicode: boolean): string {
    const bytes = this.field(offset, name);
    if (!unicode) return Buffer.from(bytes).toString('latin1');
    if (bytes.length % 2 !== 0) throw new NtlmMessageError(`NTLM ${this.what}: ${name} has an odd UTF-16 length`);
    return Buffer.from(bytes).toString('utf16le');
  }

  /** VERSION at `offset` when the fixed part reaches past it (the payload starts after it). */
  version(offset: number): NtlmVersion | undefined {
    if (this.payloadStart < offset + VERSION_LENGTH) return undefined;
    return {
      major: this.bytes[offset]!,
      minor: this.bytes[offset + 1]!,
      build: this.view.getUint16(offset + 2, true),
      revision: this.bytes[offset + 7]!,
    };
  }
}

export function decodeNegotiate(bytes: Uint8Array): NegotiateMessage {
  const reader = new MessageReader(bytes, 'NEGOTIATE', MessageType.negotiate, NEGOTIATE_HEADER);
  const flags = reader.u32(12);
  // Without the OEM_*_SUPPLIED flags the fields carry nothing meaningful, whatever they say.
  const domainName = hasFlag(flags, NegotiateFlag.oemDomainSupplied) ? reader.text(16, 'DomainName', false) : '';
  const workstation = hasFlag(flags, NegotiateFlag.oemWorkstationSupplied) ? reader.text(24, 'Workstation', false) : '';
  const version = hasFlag(flags, NegotiateFlag.version) ? reader.version(NEGOTIATE_HEADER) : undefined;
  return { flags, domainName, workstation, version };
}

export function decodeChallenge(bytes: Uint8Array): ChallengeMessage {
  const reader = new MessageReader(bytes, 'CHALLENGE', MessageType.challenge, CHALLENGE_HEADER);
  const flags = reader.u32(20);
  const unicode = hasFlag(flags, NegotiateFlag.unicode);
  const targetName = reader.text(12, 'TargetName', unicode);
  const targetInfoBytes = reader.field(40, 'TargetInfo');
  const targetInfo = targetInfoBytes.length === 0 ? [] : decodeAvPairs(targetInfoBytes);
  const version = hasFlag(flags, NegotiateFlag.version) ? reader.version(CHALLENGE_HEADER) : undefined;
  return { flags, targetName, serverChallenge: bytes.subarray(24, 32), targetInfo, version };
}

export function decodeAuthenticate(bytes: Uint8Array): AuthenticateMessage {
  const reader = new MessageReader(bytes, 'AUTHENTICATE', MessageType.authenticate, AUTHENTICATE_HEADER);
  const flags = reader.u32(60);
  const unicode = hasFlag(flags, NegotiateFlag.unicode);
  const message = {
    flags,
    lmChallengeResponse: reader.field(12, 'LmChallengeResponse'),
    ntChallengeResponse: reader.field(20, 'NtChallengeResponse'),
    domainName: reader.text(28, 'DomainName', unicode),
    userName: reader.text(36, 'UserName', unicode),
    workstation: reader.text(44, 'Workstation', unicode),
    encryptedRandomSessionKey: reader.field(52, 'EncryptedRandomSessionKey'),
  };
  const hasMic = reader.payloadStart >= AUTHENTICATE_MIC_OFFSET + MIC_LENGTH;
  return {
    ...message,
    version: hasFlag(flags, NegotiateFlag.version) ? reader.version(AUTHENTICATE_HEADER) : undefined,
    mic: hasMic ? bytes.subarray(AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + MIC_LENGTH) : undefined,
  };
}

// --- Encoding -------------------------------------------------------------------------------------

export const utf16le = (text: string): Uint8Array => Buffer.from(text, 'utf16le');

const encodeVersion = (version: NtlmVersion): Uint8Array => {
  const out = new Uint8Array(VERSION_LENGTH);
  out[0] = version.major;
  out[1] = version.minor;
  new DataView(out.buffer).setUint16(2, version.build, true);
  out[7] = version.revision;
  return out;
};

/**
 * Lays out a message: the signature, type, the fixed part (`fixed(view)` writes flags and other
 * scalars), one Len/MaxLen/Offset field per payload at the given offsets, then the payloads in order.
 */
function layOut(
  type: number,
  headerLength: number,
  payloads: readonly { readonly fieldOffset: number; readonly bytes: Uint8Array }[],
  fixed: (view: DataView, out: Uint8Array) => void,
): Uint8Array {
  const out = new Uint8Array(payloads.reduce((sum, payload) => sum + payload.bytes.length, headerLength));
  const view = new DataView(out.buffer);
  out.set(NTLM_SIGNATURE);
  view.setUint32(8, type, true);
  fixed(view, out);
  let offset = headerLength;
  for (const { fieldOffset, bytes } of payloads) {
    if (bytes.length > 0xffff) throw new RangeError(`NTLM payload field of ${bytes.length} bytes is too long`);
    view.setUint16(fieldOffset, bytes.length, true);
    view.setUint16(fieldOffset + 2, bytes.length, true);
    view.setUint32(fieldOffset + 4, offset, true);
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}

/** NEGOTIATE with no domain or workstation (MS-NLMP: their offsets still point at the payload). */
export function encodeNegotiate(flags: number, version: NtlmVersion): Uint8Array {
  const empty = new Uint8Array(0);
  return layOut(
    MessageType.negotiate,
    NEGOTIATE_HEADER + VERSION_LENGTH,
    [
      { fieldOffset: 16, bytes: empty },
      { fieldOffset: 24, bytes: empty },
    ],
    (view, out) => {
      view.setUint32(12, flags, true);
      out.set(encodeVersion(version), NEGOTIATE_HEADER);
    },
  );
}

export interface AuthenticateFields {
  readonly flags: number;
  readonly lmChallengeResponse: Uint8Array;
  readonly ntChallengeResponse: Uint8Array;
  readonly domainName: string;
  readonly userName: string;
  readonly workstation: string;
  readonly encryptedRandomSessionKey: Uint8Array;
  readonly version: NtlmVersion | undefined;
  /** Reserve the MIC slot (zeros; the caller computes the MIC over the message and writes it in). */
  readonly withMic: boolean;
}

/** AUTHENTICATE in SSPI's payload order (LM, NT, domain, user, workstation, session key); strings UTF-16LE. */
export function encodeAuthenticate(fields: AuthenticateFields): Uint8Array {
  return layOut(
    MessageType.authenticate,
    AUTHENTICATE_MIC_OFFSET + (fields.withMic ? MIC_LENGTH : 0),
    [
      { fieldOffset: 12, bytes: fields.lmChallengeResponse },
      { fieldOffset: 20, bytes: fields.ntChallengeResponse },
      { fieldOffset: 28, bytes: utf16le(fields.domainName) },
      { fieldOffset: 36, bytes: utf16le(fields.userName) },
      { fieldOffset: 44, bytes: utf16le(fields.workstation) },
      { fieldOffset: 52, bytes: fields.encryptedRandomSessionKey },
    ],
    (view, out) => {
      view.setUint32(60, fields.flags, true);
      if (fields.version !== undefined) out.set(encodeVersion(fields.version), AUTHENTICATE_HEADER);
    },
  );
}
