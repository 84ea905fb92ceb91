/**
 * The messages exchanged with the KDC (RFC 4120 §5.4, §5.9.1): KDC-REQ (AS-REQ [APPLICATION 10],
 * TGS-REQ [12]), KDC-REP (AS-REP [11], TGS-REP [13]) with its encrypted part, KRB-ERROR [30], and the
 * pre-authentication data of the AS exchange (PA-ENC-TIMESTAMP, PA-ETYPE-INFO2, PA-PAC-REQUEST).
 */

import {
  decodeOctetString,
  type DerElement,
  encodeGeneralString,
  encodeInteger,
  encodeSequence,
  readSingleElement,
  TagClass,
} from '../asn1/der';
import type { KerberosKey } from './crypto/enctypes';
import {
  decodeBoolean,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeInt32,
  decodeKerberosFlags,
  decodeKerberosString,
  decodeKerberosTime,
  decodeMethodData,
  decodePrincipalName,
  decodeSequenceOf,
  decodeUInt32,
  encodeApplication,
  encodeBoolean,
  encodeFields,
  encodeKerberosFlags,
  encodeKerberosTime,
  encodePaData,
  encodePrincipalName,
  type EncryptedData,
  Fields,
  flagBit,
  MessageType,
  type PaData,
  PaDataType,
  type PrincipalName,
  PROTOCOL_VERSION,
  unwrapApplication,
} from './asn1';
import { decodeTicket, type Ticket } from './ap-messages';
import { KerberosMessageError } from './errors';

/** KDCOptions bits used here (RFC 4120 §5.4.1). */
export const KdcOption = {
  forwardable: flagBit(1),
  forwarded: flagBit(2),
  renewableOk: flagBit(27),
} as const;

/** TicketFlags bits used here (RFC 4120 §5.3). */
export const TicketFlag = {
  forwardable: flagBit(1),
  initial: flagBit(9),
  preAuthent: flagBit(10),
} as const;

export interface KdcRequestBody {
  readonly options: number;
  /** AS-REQ only. */
  readonly cname: PrincipalName | undefined;
  readonly realm: string;
  readonly sname: PrincipalName;
  readonly till: number;
  readonly nonce: number;
  /** Most preferred first. */
  readonly etypes: readonly number[];
}

export interface KdcRequest {
  readonly msgType: typeof MessageType.asReq | typeof MessageType.tgsReq;
  readonly padata: readonly PaData[];
  readonly body: KdcRequestBody;
}

/** The DER of KDC-REQ-BODY: the TGS-REQ authenticator's checksum covers exactly these bytes. */
export const encodeKdcRequestBody = (body: KdcRequestBody): Uint8Array =>
  encodeFields([
    encodeKerberosFlags(body.options),
    body.cname === undefined ? undefined : encodePrincipalName(body.cname),
    encodeGeneralString(body.realm),
    encodePrincipalName(body.sname),
    undefined,
    encodeKerberosTime(body.till),
    undefined,
    encodeInteger(body.nonce),
    encodeSequence(...body.etypes.map((etype) => encodeInteger(etype))),
  ]);

/** KDC-REQ around an already encoded body (so the bytes a checksum covers are the bytes sent). */
export function encodeKdcRequest(
  msgType: KdcRequest['msgType'],
  padata: readonly PaData[],
  encodedBody: Uint8Array,
): Uint8Array {
  return encodeApplication(
    msgType,
    encodeFields([
      undefined,
      encodeInteger(PROTOCOL_VERSION),
      encodeInteger(msgType),
      padata.length === 0 ? undefined : encodeSequence(...padata.map(encodePaData)),
      encodedBody,
    ]),
  );
}

function decodeKdcRequestBody(element: DerElement): KdcRequestBody {
  const fields = new Fields(element, 'KDC-REQ-BODY');
  const options = fields.required(0, decodeKerberosFlags);
  const cname = fields.optional(1, decodePrincipalName);
  const realm = fields.required(2, decodeKerberosString);
  const sname = fields.optional(3, decodePrincipalName);
  fields.optional(4, decodeKerberosTime);
  const till = fields.required(5, decodeKerberosTime);
  fields.optional(6, decodeKerberosTime);
  const nonce = fields.required(7, decodeUInt32);
  const etypes = fields.required(8, (list) => decodeSequenceOf(list, 'etype', decodeInt32));
  fields.end();
  if (sname === undefined) throw new KerberosMessageError('KDC-REQ-BODY without sname');
  return { options, cname, realm, sname, till, nonce, etypes };
}

/** Decodes an AS-REQ or TGS-REQ (what a KDC receives; used to check what we send). */
export function decodeKdcRequest(bytes: Uint8Array): KdcRequest {
  const outer = readSingleElement(bytes);
  const msgType = outer.number === MessageType.tgsReq ? MessageType.tgsReq : MessageType.asReq;
  const fields = new Fields(unwrapApplication(outer, msgType, 'KDC-REQ'), 'KDC-REQ');
  expectVersion(fields.required(1, decodeInt32));
  expectMessageType(fields.required(2, decodeInt32), msgType);
  const padata = fields.optional(3, decodeMethodData) ?? [];
  const body = fields.required(4, decodeKdcRequestBody);
  fields.end();
  return { msgType, padata, body };
}

export interface KdcReply {
  readonly msgType: typeof MessageType.asRep | typeof MessageType.tgsRep;
  readonly padata: readonly PaData[];
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly ticket: Ticket;
  readonly encPart: EncryptedData;
}

export interface KrbError {
  readonly errorCode: number;
  /** The peer's clock when it answered, in milliseconds since the epoch (with susec). */
  readonly serverTime: number;
  readonly clientTime: number | undefined;
  readonly crealm: string | undefined;
  readonly cname: PrincipalName | undefined;
  readonly realm: string;
  readonly sname: PrincipalName;
  readonly eText: string | undefined;
  readonly eData: Uint8Array | undefined;
}

export type KdcResponse =
  { readonly kind: 'reply'; readonly reply: KdcReply } | { readonly kind: 'error'; readonly error: KrbError };

const expectVersion = (pvno: number): void => {
  if (pvno !== PROTOCOL_VERSION) throw new KerberosMessageError(`Kerberos protocol version ${pvno}`);
};

const expectMessageType = (found: number, expected: number): void => {
  if (found !== expected)
    throw new KerberosMessageError(`Kerberos message type ${found} where ${expected} was expected`);
};

function decodeKdcReplyBody(element: DerElement, msgType: KdcReply['msgType']): KdcReply {
  const fields = new Fields(element, msgType === MessageType.asRep ? 'AS-REP' : 'TGS-REP');
  expectVersion(fields.required(0, decodeInt32));
  expectMessageType(fields.required(1, decodeInt32), msgType);
  const padata = fields.optional(2, decodeMethodData) ?? [];
  const crealm = fields.required(3, decodeKerberosString);
  const cname = fields.required(4, decodePrincipalName);
  const ticket = fields.required(5, decodeTicket);
  const encPart = fields.required(6, decodeEncryptedData);
  fields.end();
  return { msgType, padata, crealm, cname, ticket, encPart };
}

/** The KRB-ERROR SEQUENCE (inside [APPLICATION 30], or inside a GSS error token). */
export function decodeKrbErrorBody(element: DerElement): KrbError {
  const fields = new Fields(element, 'KRB-ERROR');
  expectVersion(fields.required(0, decodeInt32));
  expectMessageType(fields.required(1, decodeInt32), MessageType.krbError);
  const ctime = fields.optional(2, decodeKerberosTime);
  const cusec = fields.optional(3, decodeInt32);
  const stime = fields.required(4, decodeKerberosTime);
  const susec = fields.required(5, decodeInt32);
  const errorCode = fields.required(6, decodeInt32);
  const crealm = fields.optional(7, decodeKerberosString);
  const cname = fields.optional(8, decodePrincipalName);
  const realm = fields.required(9, decodeKerberosString);
  const sname = fields.required(10, decodePrincipalName);
  const eText = fields.optional(11, decodeKerberosString);
  const eData = fields.optional(12, decodeOctetString);
  fields.end();
  return {
    errorCode,
    serverTime: stime + Math.floor(susec / 1000),
    clientTime: ctime === undefined ? undefined : ctime + Math.floor((cusec ?? 0) / 1000),
    crealm,
    cname,
    realm,
    sname,
    eText,
    eData,
  };
}

export const decodeKrbError = (bytes: Uint8Array | DerElement): KrbError =>
  decodeKrbErrorBody(unwrapApplication(bytes, MessageType.krbError, 'KRB-ERROR'));

/** What the KDC answered: an AS-REP or TGS-REP (`expected`), or a KRB-ERROR. */
export function decodeKdcResponse(bytes: Uint8Array, expected: KdcReply['msgType']): KdcResponse {
  const outer = readSingleElement(bytes);
  if (outer.tagClass === TagClass.application && outer.number === MessageType.krbError) {
    return { kind: 'error', error: decodeKrbError(outer) };
  }
  return { kind: 'reply', reply: decodeKdcReplyBody(unwrapApplication(outer, expected, 'KDC-REP'), expected) };
}

/** EncKDCRepPart, the decrypted enc-part of a KDC-REP. */
export interface EncKdcReplyPart {
  readonly key: KerberosKey;
  readonly nonce: number;
  readonly flags: number;
  readonly authTime: number;
  readonly startTime: number | undefined;
  readonly endTime: number;
  readonly renewTill: number | undefined;
  readonly srealm: string;
  readonly sname: PrincipalName;
}

const ENC_AS_REP_PART = 25;
const ENC_TGS_REP_PART = 26;

/**
 * Decodes EncASRepPart [25] or EncTGSRepPart [26]; either tag is accepted for either reply, because
 * some KDCs, AD among them, tag the AS-REP's part as EncTGSRepPart (RFC 4120 §5.4.2 compatibility note).
 */
export function decodeEncKdcReplyPart(bytes: Uint8Array): EncKdcReplyPart {
  const outer = readSingleElement(bytes);
  const tag = outer.number === ENC_TGS_REP_PART ? ENC_TGS_REP_PART : ENC_AS_REP_PART;
  const fields = new Fields(unwrapApplication(outer, tag, 'EncKDCRepPart'), 'EncKDCRepPart');
  const key = fields.required(0, decodeEncryptionKey);
  fields.required(1, (lastReq) => lastReq);
  const nonce = fields.required(2, decodeUInt32);
  fields.optional(3, decodeKerberosTime);
  const flags = fields.required(4, decodeKerberosFlags);
  const authTime = fields.required(5, decodeKerberosTime);
  const startTime = fields.optional(6, decodeKerberosTime);
  const endTime = fields.required(7, decodeKerberosTime);
  const renewTill = fields.optional(8, decodeKerberosTime);
  const srealm = fields.required(9, decodeKerberosString);
  const sname = fields.required(10, decodePrincipalName);
  fields.end();
  return { key, nonce, flags, authTime, startTime, endTime, renewTill, srealm, sname };
}

// --- Pre-authentication ---------------------------------------------------------------------------

export interface EtypeInfo {
  readonly etype: number;
  /** The salt for string-to-key; undefined = the default salt (realm ‖ name components). */
  readonly salt: string | undefined;
  readonly s2kParams: Uint8Array | undefined;
}

function decodeEtypeInfo2Entry(element: DerElement): EtypeInfo {
  const fields = new Fields(element, 'ETYPE-INFO2-ENTRY');
  const etype = fields.required(0, decodeInt32);
  const salt = fields.optional(1, decodeKerberosString);
  const s2kParams = fields.optional(2, decodeOctetString);
  fields.end();
  return { etype, salt, s2kParams };
}

/** The older ETYPE-INFO (PA 11): salt is an OCTET STRING and there are no s2kparams. */
function decodeEtypeInfoEntry(element: DerElement): EtypeInfo {
  const fields = new Fields(element, 'ETYPE-INFO-ENTRY');
  const etype = fields.required(0, decodeInt32);
  const salt = fields.optional(1, decodeOctetString);
  fields.end();
  return { etype, salt: salt === undefined ? undefined : new TextDecoder().decode(salt), s2kParams: undefined };
}

/** The ETYPE-INFO2 entries (else ETYPE-INFO entries) among `padata`, in the KDC's order of preference. */
export function findEtypeInfo(padata: readonly PaData[]): EtypeInfo[] {
  const info2 = padata.find((data) => data.type === PaDataType.etypeInfo2);
  if (info2 !== undefined)
    return decodeSequenceOf(readSingleElement(info2.value), 'ETYPE-INFO2', decodeEtypeInfo2Entry);
  const info = padata.find((data) => data.type === PaDataType.etypeInfo);
  if (info !== undefined) return decodeSequenceOf(readSingleElement(info.value), 'ETYPE-INFO', decodeEtypeInfoEntry);
  return [];
}

/** PA-ENC-TS-ENC { patimestamp, pausec } (to be encrypted with key usage 1). */
export const encodePaEncTimestamp = (milliseconds: number): Uint8Array =>
  encodeFields([encodeKerberosTime(milliseconds), encodeInteger((milliseconds % 1000) * 1000)]);

/** KERB-PA-PAC-REQUEST { include-pac [0] BOOLEAN } (MS-KILE 2.2.3): ask AD for the PAC. */
export const encodePacRequest = (includePac: boolean): Uint8Array => encodeFields([encodeBoolean(includePac)]);

export const decodePacRequest = (bytes: Uint8Array): boolean => {
  const fields = new Fields(readSingleElement(bytes), 'PA-PAC-REQUEST');
  const include = fields.required(0, decodeBoolean);
  fields.end();
  return include;
};
