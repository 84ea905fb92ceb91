/**
 * The DER structures of MS-CSSP 2.2.1 (PROTOCOL.md §5.2): TSRequest with its NegoData, and the delegated
 * TSCredentials with TSPasswordCreds. Every context tag is EXPLICIT. Decoding is bounded by the bytes
 * given (the DER reader never allocates by a claimed length) and throws Asn1Error on any malformed input.
 */

import { Buffer } from 'node:buffer';
import {
  Asn1Error,
  DerReader,
  TagClass,
  decodeInteger,
  decodeOctetString,
  encodeExplicit,
  encodeInteger,
  encodeOctetString,
  encodeSequence,
  readSequence,
  readSingleElement,
} from '../asn1/der';
import { utf16le } from '../ntlm/messages';

export interface TsRequest {
  readonly version: number;
  /** NegoData: the inner mechanism's tokens (Windows and this client only ever send one). */
  readonly negoTokens: readonly Uint8Array[];
  /** The inner context's wrap of DER TSCredentials. */
  readonly authInfo?: Uint8Array;
  /** The inner context's wrap of the public-key binding value. */
  readonly pubKeyAuth?: Uint8Array;
  /** An NTSTATUS as an unsigned 32-bit number (Windows encodes it as a signed INTEGER). */
  readonly errorCode?: number;
  /** 32 random bytes from the client, version 5 and later. */
  readonly clientNonce?: Uint8Array;
}

export const CredType = { password: 1, smartCard: 2, remoteGuard: 6 } as const;

export interface TsCredentials {
  readonly credType: number;
  /** The DER of the credential structure credType names (TSPasswordCreds for a password). */
  readonly credentials: Uint8Array;
}

export interface TsPasswordCreds {
  readonly domainName: string;
  readonly userName: string;
  readonly password: string;
}

const SIGNED_32_BIT = 2 ** 31;
const UNSIGNED_32_BIT = 2 ** 32;

export function encodeTsRequest(request: TsRequest): Uint8Array {
  const fields = [encodeExplicit(0, encodeInteger(request.version))];
  if (request.negoTokens.length > 0) {
    const entries = request.negoTokens.map((token) => encodeSequence(encodeExplicit(0, encodeOctetString(token))));
    fields.push(encodeExplicit(1, encodeSequence(...entries)));
  }
  if (request.authInfo !== undefined) fields.push(encodeExplicit(2, encodeOctetString(request.authInfo)));
  if (request.pubKeyAuth !== undefined) fields.push(encodeExplicit(3, encodeOctetString(request.pubKeyAuth)));
  if (request.errorCode !== undefined) fields.push(encodeExplicit(4, encodeInteger(signedNtStatus(request.errorCode))));
  if (request.clientNonce !== undefined) fields.push(encodeExplicit(5, encodeOctetString(request.clientNonce)));
  return encodeSequence(...fields);
}

/**
 * Decodes one whole TSRequest. Context tags above [5] are skipped: later versions of MS-CSSP may append
 * fields, and ignoring what we do not know is how every version so far stayed compatible.
 */
export function decodeTsRequest(bytes: Uint8Array): TsRequest {
  const reader = readSequence(readSingleElement(bytes), 'TSRequest');
  const version = decodeInteger(required(reader.optionalExplicit(0), 'TSRequest', 'version [0]'));
  if (version < 1) throw new Asn1Error(`TSRequest: version ${version} is not a CredSSP version`);
  const negoData = reader.optionalExplicit(1);
  const authInfo = reader.optionalExplicit(2);
  const pubKeyAuth = reader.optionalExplicit(3);
  const errorCode = reader.optionalExplicit(4);
  const clientNonce = reader.optionalExplicit(5);
  for (let extra = reader.peek(); extra !== undefined; extra = reader.peek()) {
    // Anything else left over is out of order, repeated or foreign: end() throws naming it.
    if (extra.tagClass !== TagClass.context || extra.number <= 5) reader.end();
    reader.next();
  }
  return {
    version,
    negoTokens: negoData === undefined ? [] : decodeNegoData(negoData.content),
    ...(authInfo && { authInfo: decodeOctetString(authInfo) }),
    ...(pubKeyAuth && { pubKeyAuth: decodeOctetString(pubKeyAuth) }),
    ...(errorCode && { errorCode: unsignedNtStatus(decodeInteger(errorCode)) }),
    ...(clientNonce && { clientNonce: decodeOctetString(clientNonce) }),
  };
}

/** NegoData ::= SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING } (the caller has checked the SEQUENCE tag). */
function decodeNegoData(content: Uint8Array): Uint8Array[] {
  const tokens: Uint8Array[] = [];
  const entries = new DerReader(content, 'NegoData');
  while (!entries.done) {
    const entry = readSequence(entries.next(), 'NegoData entry');
    tokens.push(decodeOctetString(required(entry.optionalExplicit(0), 'NegoData entry', 'negoToken [0]')));
    entry.end();
  }
  return tokens;
}

export function encodeTsCredentials(credentials: TsCredentials): Uint8Array {
  return encodeSequence(
    encodeExplicit(0, encodeInteger(credentials.credType)),
    encodeExplicit(1, encodeOctetString(credentials.credentials)),
  );
}

export function decodeTsCredentials(bytes: Uint8Array): TsCredentials {
  const reader = readSequence(readSingleElement(bytes), 'TSCredentials');
  const credType = decodeInteger(required(reader.optionalExplicit(0), 'TSCredentials', 'credType [0]'));
  const credentials = decodeOctetString(required(reader.optionalExplicit(1), 'TSCredentials', 'credentials [1]'));
  reader.end();
  return { credType, credentials };
}

/** TSCredentials{credType 1, TSPasswordCreds} with the strings in UTF-16LE (MS-CSSP 2.2.1.2.1). */
export function encodePasswordCredentials(password: TsPasswordCreds): Uint8Array {
  const creds = encodeSequence(
    encodeExplicit(0, encodeOctetString(utf16le(password.domainName))),
    encodeExplicit(1, encodeOctetString(utf16le(password.userName))),
    encodeExplicit(2, encodeOctetString(utf16le(password.password))),
  );
  return encodeTsCredentials({ credType: CredType.password, credentials: creds });
}

export function decodePasswordCreds(bytes: Uint8Array): TsPasswordCreds {
  const reader = readSequence(readSingleElement(bytes), 'TSPasswordCreds');
  const field = (number: number, name: string) =>
    fromUtf16le(decodeOctetString(required(reader.optionalExplicit(number), 'TSPasswordCreds', name)), name);
  const domainName = field(0, 'domainName [0]');
  const userName = field(1, 'userName [1]');
  const password = field(2, 'password [2]');
  reader.end();
  return { domainName, userName, password };
}

function required<T>(value: T | undefined, structure: string, field: string): T {
  if (value === undefined) throw new Asn1Error(`${structure}: missing ${field}`);
  return value;
}

/** Windows writes an NTSTATUS such as 0xC000006D as a negative 32-bit INTEGER; either form is accepted. */
function unsignedNtStatus(value: number): number {
  if (value < -SIGNED_32_BIT || value >= UNSIGNED_32_BIT) {
    throw new Asn1Error(`TSRequest: errorCode ${value} is not a 32-bit NTSTATUS`);
  }
  return value < 0 ? value + UNSIGNED_32_BIT : value;
}

function signedNtStatus(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= UNSIGNED_32_BIT) {
    throw new RangeError(`errorCode ${value} is not an unsigned 32-bit NTSTATUS`);
  }
  return value >= SIGNED_32_BIT ? value - UNSIGNED_32_BIT : value;
}

function fromUtf16le(bytes: Uint8Array, field: string): string {
  if (bytes.length % 2 !== 0) throw new Asn1Error(`TSPasswordCreds: ${field} is not UTF-16LE (odd length)`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf16le');
}
