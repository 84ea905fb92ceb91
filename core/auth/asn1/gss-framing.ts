/**
 * The GSS-API InitialContextToken framing (RFC 2743 §3.1): [APPLICATION 0] IMPLICIT SEQUENCE {
 * thisMech OBJECT IDENTIFIER, innerContextToken ANY }, the wrapper of the first token of SPNEGO and of
 * raw Kerberos. The inner token is whatever bytes follow the OID (not necessarily one DER element).
 */

import { applicationTag, decodeOid, encodeElement, encodeOid, expectTag, readElement, readSingleElement } from './der';

const INITIAL_CONTEXT_TOKEN = applicationTag(0);

export function encodeInitialContextToken(mechOid: string, innerToken: Uint8Array): Uint8Array {
  return encodeElement(INITIAL_CONTEXT_TOKEN, encodeOid(mechOid), innerToken);
}

export function decodeInitialContextToken(bytes: Uint8Array): {
  readonly mech: string;
  readonly innerToken: Uint8Array;
} {
  const content = expectTag(readSingleElement(bytes), INITIAL_CONTEXT_TOKEN, 'GSS InitialContextToken').content;
  const oid = readElement(content);
  return { mech: decodeOid(oid), innerToken: content.subarray(oid.encoded.length) };
}
