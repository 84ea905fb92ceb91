/**
 * SPNEGO tokens (RFC 4178 §4.2; MS-SPNG 2.2; PROTOCOL.md §6.2):
 *
 *   NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
 *   NegTokenInit  ::= SEQUENCE { mechTypes [0] MechTypeList, reqFlags [1] ContextFlags OPTIONAL,
 *                                mechToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *   NegTokenInit2 ::= the same with negHints [3] NegHints OPTIONAL, mechListMIC [4] (MS-SPNG; Windows sends it)
 *   NegTokenResp  ::= SEQUENCE { negState [0] ENUMERATED OPTIONAL, supportedMech [1] MechType OPTIONAL,
 *                                responseToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *
 * The initiator's first token is wrapped in the GSS InitialContextToken with the SPNEGO OID; later
 * tokens in both directions are bare NegotiationTokens. Decoding accepts both forms.
 */

import {
  Asn1Error,
  contextTag,
  decodeBitString,
  decodeEnumerated,
  decodeGeneralString,
  decodeOctetString,
  decodeOid,
  type DerElement,
  hasTag,
  encodeElement,
  encodeEnumerated,
  encodeExplicit,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  readSequence,
  readSingleElement,
  TagClass,
  UniversalTag,
} from '../asn1/der';
import { decodeInitialContextToken, encodeInitialContextToken } from '../asn1/gss-framing';

export const SPNEGO_OID = '1.3.6.1.5.5.2';

/** Mechanism OIDs seen in SPNEGO mechTypes (PROTOCOL.md §6.1). */
export const MechOid = {
  ntlm: '1.3.6.1.4.1.311.2.2.10',
  kerberos: '1.2.840.113554.1.2.2',
  /** Microsoft's legacy Kerberos OID, offered first by Windows. */
  msKerberos: '1.2.840.48018.1.2.2',
  kerberosUserToUser: '1.2.840.113554.1.2.2.3',
  negoex: '1.3.6.1.4.1.311.2.2.30',
} as const;

export const NegState = { acceptCompleted: 0, acceptIncomplete: 1, reject: 2, requestMic: 3 } as const;
export type NegState = (typeof NegState)[keyof typeof NegState];

export interface NegHints {
  readonly hintName: string | undefined;
  readonly hintAddress: Uint8Array | undefined;
}

export interface NegTokenInit {
  readonly type: 'init';
  readonly mechTypes: readonly string[];
  /** The MechTypeList exactly as encoded in the token: what a mechListMIC covers. */
  readonly mechTypeList: Uint8Array;
  /** The ContextFlags BIT STRING's bytes, when present. */
  readonly reqFlags: Uint8Array | undefined;
  readonly mechToken: Uint8Array | undefined;
  /** NegTokenInit2 only. */
  readonly negHints: NegHints | undefined;
  readonly mechListMic: Uint8Array | undefined;
}

export interface NegTokenResp {
  readonly type: 'resp';
  readonly negState: NegState | undefined;
  readonly supportedMech: string | undefined;
  readonly responseToken: Uint8Array | undefined;
  readonly mechListMic: Uint8Array | undefined;
}

export type NegotiationToken = NegTokenInit | NegTokenResp;

const NEG_TOKEN_INIT = contextTag(0);
const NEG_TOKEN_RESP = contextTag(1);

/** MechTypeList ::= SEQUENCE OF MechType (OBJECT IDENTIFIER). */
export const encodeMechTypeList = (mechTypes: readonly string[]): Uint8Array =>
  encodeSequence(...mechTypes.map(encodeOid));

/** The initiator's first token: InitialContextToken(SPNEGO, NegTokenInit{mechTypes, mechToken}). */
export function encodeInitialNegTokenInit(mechTypeList: Uint8Array, mechToken: Uint8Array | undefined): Uint8Array {
  const fields = [encodeExplicit(0, mechTypeList)];
  if (mechToken !== undefined) fields.push(encodeExplicit(2, encodeOctetString(mechToken)));
  return encodeInitialContextToken(SPNEGO_OID, encodeElement(NEG_TOKEN_INIT, encodeSequence(...fields)));
}

export function encodeNegTokenResp(fields: Omit<NegTokenResp, 'type'>): Uint8Array {
  const parts: Uint8Array[] = [];
  if (fields.negState !== undefined) parts.push(encodeExplicit(0, encodeEnumerated(fields.negState)));
  if (fields.supportedMech !== undefined) parts.push(encodeExplicit(1, encodeOid(fields.supportedMech)));
  if (fields.responseToken !== undefined) parts.push(encodeExplicit(2, encodeOctetString(fields.responseToken)));
  if (fields.mechListMic !== undefined) parts.push(encodeExplicit(3, encodeOctetString(fields.mechListMic)));
  return encodeElement(NEG_TOKEN_RESP, encodeSequence(...parts));
}

/** Decodes a NegotiationToken, bare or inside the SPNEGO InitialContextToken. */
export function decodeNegotiationToken(bytes: Uint8Array): NegotiationToken {
  let inner = bytes;
  if (bytes[0] === 0x60) {
    const framed = decodeInitialContextToken(bytes);
    if (framed.mech !== SPNEGO_OID) throw new Asn1Error(`GSS token for mechanism ${framed.mech}, not SPNEGO`);
    inner = framed.innerToken;
  }
  const choice = readSingleElement(inner);
  if (hasTag(choice, TagClass.context, 0, true)) {
    return decodeNegTokenInit(readSingleElement(choice.content));
  }
  if (hasTag(choice, TagClass.context, 1, true)) {
    return decodeNegTokenResp(readSingleElement(choice.content));
  }
  throw new Asn1Error('SPNEGO token is neither NegTokenInit [0] nor NegTokenResp [1]');
}

function decodeNegTokenInit(sequence: DerElement): NegTokenInit {
  const reader = readSequence(sequence, 'NegTokenInit');
  const mechTypeList = reader.optionalExplicit(0);
  if (mechTypeList === undefined) throw new Asn1Error('NegTokenInit without mechTypes');
  const mechTypes: string[] = [];
  for (const list = readSequence(mechTypeList, 'MechTypeList'); !list.done;) mechTypes.push(decodeOid(list.next()));
  const reqFlags = reader.optionalExplicit(1);
  const mechToken = reader.optionalExplicit(2);
  // [3] is mechListMIC (an OCTET STRING) in NegTokenInit but negHints (a SEQUENCE) in NegTokenInit2.
  let third = reader.optionalExplicit(3);
  let negHints: NegHints | undefined;
  if (third !== undefined && hasTag(third, TagClass.universal, UniversalTag.sequence, true)) {
    negHints = decodeNegHints(third);
    third = reader.optionalExplicit(4);
  }
  reader.end();
  return {
    type: 'init',
    mechTypes,
    mechTypeList: mechTypeList.encoded,
    reqFlags: reqFlags === undefined ? undefined : decodeBitString(reqFlags).bytes,
    mechToken: mechToken === undefined ? undefined : decodeOctetString(mechToken),
    negHints,
    mechListMic: third === undefined ? undefined : decodeOctetString(third),
  };
}

function decodeNegHints(sequence: DerElement): NegHints {
  const reader = readSequence(sequence, 'NegHints');
  const hintName = reader.optionalExplicit(0);
  const hintAddress = reader.optionalExplicit(1);
  reader.end();
  return {
    hintName: hintName === undefined ? undefined : decodeGeneralString(hintName),
    hintAddress: hintAddress === undefined ? undefined : decodeOctetString(hintAddress),
  };
}

function decodeNegTokenResp(sequence: DerElement): NegTokenResp {
  const reader = readSequence(sequence, 'NegTokenResp');
  const negState = reader.optionalExplicit(0);
  const supportedMech = reader.optionalExplicit(1);
  const responseToken = reader.optionalExplicit(2);
  const mechListMic = reader.optionalExplicit(3);
  reader.end();
  let state: NegState | undefined;
  if (negState !== undefined) {
    const value = decodeEnumerated(negState);
    if (!Object.values<number>(NegState).includes(value)) throw new Asn1Error(`SPNEGO negState ${value} is undefined`);
    state = value as NegState;
  }
  return {
    type: 'resp',
    negState: state,
    supportedMech: supportedMech === undefined ? undefined : decodeOid(supportedMech),
    responseToken: responseToken === undefined ? undefined : decodeOctetString(responseToken),
    mechListMic: mechListMic === undefined ? undefined : decodeOctetString(mechListMic),
  };
}
