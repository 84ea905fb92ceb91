/**
 * The Kerberos GSS-API mechanism's context tokens (RFC 4121 §4.1, RFC 1964 §1.1): the InitialContextToken
 * framing with the krb5 OID and a two-byte TOK_ID before the AP-REQ (01 00), AP-REP (02 00) or
 * KRB-ERROR (03 00), and the authenticator checksum of type 0x8003 that carries the channel-bindings
 * hash, the context flags and an optional delegated credential.
 */

import { decodeInitialContextToken, encodeInitialContextToken } from '../asn1/gss-framing';
import { KerberosMessageError } from './errors';

export const KERBEROS_OID = '1.2.840.113554.1.2.2';
/** Microsoft's legacy krb5 OID, which Windows echoes when a client offered it. */
export const MS_KERBEROS_OID = '1.2.840.48018.1.2.2';

export const TokenId = { apReq: 0x0100, apRep: 0x0200, error: 0x0300 } as const;
export type TokenId = (typeof TokenId)[keyof typeof TokenId];

/** GSS context flags as the 0x8003 checksum carries them (RFC 4121 §4.1.1.1). */
export const GssFlag = {
  delegate: 1,
  mutual: 2,
  replay: 4,
  sequence: 8,
  confidentiality: 16,
  integrity: 32,
} as const;

export function encodeKerberosToken(tokenId: TokenId, message: Uint8Array): Uint8Array {
  const inner = new Uint8Array(2 + message.length);
  new DataView(inner.buffer).setUint16(0, tokenId);
  inner.set(message, 2);
  return encodeInitialContextToken(KERBEROS_OID, inner);
}

export function decodeKerberosToken(bytes: Uint8Array): { readonly tokenId: number; readonly message: Uint8Array } {
  const { mech, innerToken } = decodeInitialContextToken(bytes);
  if (mech !== KERBEROS_OID && mech !== MS_KERBEROS_OID) {
    throw new KerberosMessageError(`GSS token of mechanism ${mech}, not Kerberos`);
  }
  if (innerToken.length < 2) throw new KerberosMessageError('Kerberos GSS token without TOK_ID');
  return { tokenId: (innerToken[0]! << 8) | innerToken[1]!, message: innerToken.subarray(2) };
}

const BINDINGS_LENGTH = 16;
const DELEGATION_OPTION = 1;

export interface GssChecksum {
  /** MD5 of the gss_channel_bindings_struct, or 16 zero bytes without channel bindings. */
  readonly bindingsHash: Uint8Array;
  readonly flags: number;
  /** A KRB-CRED with the forwarded TGT (the delegate flag must be set). */
  readonly delegation: Uint8Array | undefined;
}

/** The 0x8003 checksum value: Lgth ‖ Bnd ‖ Flags [‖ DlgOpt ‖ Dlgth ‖ Deleg], little-endian. */
export function encodeGssChecksum(checksum: GssChecksum): Uint8Array {
  if (checksum.bindingsHash.length !== BINDINGS_LENGTH) throw new RangeError('the bindings hash is 16 bytes');
  const delegation = checksum.delegation;
  if ((delegation !== undefined) !== ((checksum.flags & GssFlag.delegate) !== 0)) {
    throw new RangeError('the delegate flag and the delegated credential go together');
  }
  const out = new Uint8Array(24 + (delegation === undefined ? 0 : 4 + delegation.length));
  const view = new DataView(out.buffer);
  view.setUint32(0, BINDINGS_LENGTH, true);
  out.set(checksum.bindingsHash, 4);
  view.setUint32(20, checksum.flags, true);
  if (delegation !== undefined) {
    if (delegation.length > 0xffff) throw new RangeError('delegated credential longer than 65535 bytes');
    view.setUint16(24, DELEGATION_OPTION, true);
    view.setUint16(26, delegation.length, true);
    out.set(delegation, 28);
  }
  return out;
}

export function decodeGssChecksum(bytes: Uint8Array): GssChecksum {
  if (bytes.length < 24) throw new KerberosMessageError(`0x8003 checksum of ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(0, true) !== BINDINGS_LENGTH) throw new KerberosMessageError('0x8003 checksum: Lgth is not 16');
  const flags = view.getUint32(20, true);
  let delegation: Uint8Array | undefined;
  if ((flags & GssFlag.delegate) !== 0) {
    if (bytes.length < 28) throw new KerberosMessageError('0x8003 checksum: delegate flag without a credential');
    const length = view.getUint16(26, true);
    if (28 + length > bytes.length) throw new KerberosMessageError('0x8003 checksum: delegated credential truncated');
    delegation = bytes.subarray(28, 28 + length);
  }
  return { bindingsHash: bytes.subarray(4, 20), flags, delegation };
}
