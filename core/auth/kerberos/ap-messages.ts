/**
 * The messages of the client/server exchange (RFC 4120 §5.3, §5.5, §5.8): Ticket [APPLICATION 1],
 * AP-REQ [14] with its Authenticator [2], AP-REP [15] with EncAPRepPart [27], and KRB-CRED [22] with
 * EncKrbCredPart [29] (a forwarded TGT for delegation). The KDC's TGS-REQ carries an AP-REQ too.
 */

import { type DerElement, encodeGeneralString, encodeInteger, encodeSequence, readSingleElement } from '../asn1/der';
import type { KerberosKey } from './crypto/enctypes';
import {
  type Checksum,
  decodeChecksum,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeInt32,
  decodeKerberosFlags,
  decodeKerberosString,
  decodeKerberosTime,
  decodePrincipalName,
  decodeUInt32,
  encodeApplication,
  encodeChecksum,
  encodeEncryptedData,
  encodeEncryptionKey,
  encodeFields,
  encodeKerberosFlags,
  encodeKerberosTime,
  encodePrincipalName,
  type EncryptedData,
  Fields,
  flagBit,
  MessageType,
  type Principal,
  type PrincipalName,
  PROTOCOL_VERSION,
  unwrapApplication,
} from './asn1';
import { KerberosMessageError } from './errors';

const TICKET = 1;
const AUTHENTICATOR = 2;
const AP_REQ = MessageType.apReq;
const AP_REP = MessageType.apRep;
const KRB_CRED = MessageType.krbCred;
const ENC_AP_REP_PART = 27;
const ENC_KRB_CRED_PART = 29;

/** APOptions bits (RFC 4120 §5.5.1). */
export const ApOption = { useSessionKey: flagBit(1), mutualRequired: flagBit(2) } as const;

export interface Ticket {
  readonly realm: string;
  readonly sname: PrincipalName;
  readonly encPart: EncryptedData;
  /** The whole [APPLICATION 1] encoding, re-sent as is in AP-REQs, TGS-REQs and KRB-CREDs. */
  readonly encoded: Uint8Array;
}

export function decodeTicket(element: DerElement): Ticket {
  const fields = new Fields(unwrapApplication(element, TICKET, 'Ticket'), 'Ticket');
  const version = fields.required(0, decodeInt32);
  if (version !== PROTOCOL_VERSION) throw new KerberosMessageError(`ticket version ${version}`);
  const realm = fields.required(1, decodeKerberosString);
  const sname = fields.required(2, decodePrincipalName);
  const encPart = fields.required(3, decodeEncryptedData);
  fields.end();
  return { realm, sname, encPart, encoded: element.encoded.slice() };
}

export const decodeTicketBytes = (bytes: Uint8Array): Ticket => decodeTicket(readSingleElement(bytes));

const expectHeader = (fields: Fields, msgType: number): void => {
  const version = fields.required(0, decodeInt32);
  const type = fields.required(1, decodeInt32);
  if (version !== PROTOCOL_VERSION || type !== msgType) {
    throw new KerberosMessageError(`${fields.what}: version ${version}, message type ${type}`);
  }
};

const header = (msgType: number): [Uint8Array, Uint8Array] => [encodeInteger(PROTOCOL_VERSION), encodeInteger(msgType)];

export interface ApRequest {
  readonly options: number;
  readonly ticket: Ticket;
  readonly authenticator: EncryptedData;
}

export const encodeApRequest = (options: number, ticket: Uint8Array, authenticator: EncryptedData): Uint8Array =>
  encodeApplication(
    AP_REQ,
    encodeFields([...header(AP_REQ), encodeKerberosFlags(options), ticket, encodeEncryptedData(authenticator)]),
  );

export function decodeApRequest(bytes: Uint8Array): ApRequest {
  const fields = new Fields(unwrapApplication(bytes, AP_REQ, 'AP-REQ'), 'AP-REQ');
  expectHeader(fields, AP_REQ);
  const options = fields.required(2, decodeKerberosFlags);
  const ticket = fields.required(3, decodeTicket);
  const authenticator = fields.required(4, decodeEncryptedData);
  fields.end();
  return { options, ticket, authenticator };
}

export interface Authenticator {
  readonly client: Principal;
  readonly checksum: Checksum | undefined;
  /** Whole seconds, in milliseconds since the epoch. */
  readonly ctime: number;
  readonly cusec: number;
  readonly subkey: KerberosKey | undefined;
  readonly seqNumber: number | undefined;
}

export const encodeAuthenticator = (authenticator: Authenticator): Uint8Array =>
  encodeApplication(
    AUTHENTICATOR,
    encodeFields([
      encodeInteger(PROTOCOL_VERSION),
      encodeGeneralString(authenticator.client.realm),
      encodePrincipalName(authenticator.client),
      authenticator.checksum === undefined ? undefined : encodeChecksum(authenticator.checksum),
      encodeInteger(authenticator.cusec),
      encodeKerberosTime(authenticator.ctime),
      authenticator.subkey === undefined ? undefined : encodeEncryptionKey(authenticator.subkey),
      authenticator.seqNumber === undefined ? undefined : encodeInteger(authenticator.seqNumber),
    ]),
  );

export function decodeAuthenticator(bytes: Uint8Array): Authenticator {
  const fields = new Fields(unwrapApplication(bytes, AUTHENTICATOR, 'Authenticator'), 'Authenticator');
  const version = fields.required(0, decodeInt32);
  if (version !== PROTOCOL_VERSION) throw new KerberosMessageError(`authenticator version ${version}`);
  const realm = fields.required(1, decodeKerberosString);
  const name = fields.required(2, decodePrincipalName);
  const checksum = fields.optional(3, decodeChecksum);
  const cusec = fields.required(4, decodeInt32);
  const ctime = fields.required(5, decodeKerberosTime);
  const subkey = fields.optional(6, decodeEncryptionKey);
  const seqNumber = fields.optional(7, decodeUInt32);
  fields.optional(8, (authorizationData) => authorizationData);
  fields.end();
  return { client: { ...name, realm }, checksum, ctime, cusec, subkey, seqNumber };
}

export interface EncApReplyPart {
  readonly ctime: number;
  readonly cusec: number;
  readonly subkey: KerberosKey | undefined;
  readonly seqNumber: number | undefined;
}

/** AP-REP → its encrypted part (decrypt with the ticket's session key, usage 12). */
export function decodeApReply(bytes: Uint8Array): EncryptedData {
  const fields = new Fields(unwrapApplication(bytes, AP_REP, 'AP-REP'), 'AP-REP');
  expectHeader(fields, AP_REP);
  const encPart = fields.required(2, decodeEncryptedData);
  fields.end();
  return encPart;
}

export const encodeApReply = (encPart: EncryptedData): Uint8Array =>
  encodeApplication(AP_REP, encodeFields([...header(AP_REP), encodeEncryptedData(encPart)]));

export function decodeEncApReplyPart(bytes: Uint8Array): EncApReplyPart {
  const fields = new Fields(unwrapApplication(bytes, ENC_AP_REP_PART, 'EncAPRepPart'), 'EncAPRepPart');
  const ctime = fields.required(0, decodeKerberosTime);
  const cusec = fields.required(1, decodeInt32);
  const subkey = fields.optional(2, decodeEncryptionKey);
  const seqNumber = fields.optional(3, decodeUInt32);
  fields.end();
  return { ctime, cusec, subkey, seqNumber };
}

export const encodeEncApReplyPart = (part: EncApReplyPart): Uint8Array =>
  encodeApplication(
    ENC_AP_REP_PART,
    encodeFields([
      encodeKerberosTime(part.ctime),
      encodeInteger(part.cusec),
      part.subkey === undefined ? undefined : encodeEncryptionKey(part.subkey),
      part.seqNumber === undefined ? undefined : encodeInteger(part.seqNumber),
    ]),
  );

/** What KRB-CRED says of one ticket it carries (KrbCredInfo). */
export interface CredentialInfo {
  readonly key: KerberosKey;
  readonly client: Principal;
  readonly server: Principal;
  readonly flags: number;
  readonly authTime: number;
  readonly startTime: number | undefined;
  readonly endTime: number;
  readonly renewTill: number | undefined;
}

const optionalTime = (time: number | undefined): Uint8Array | undefined =>
  time === undefined ? undefined : encodeKerberosTime(time);

const encodeCredentialInfo = (info: CredentialInfo): Uint8Array =>
  encodeFields([
    encodeEncryptionKey(info.key),
    encodeGeneralString(info.client.realm),
    encodePrincipalName(info.client),
    encodeKerberosFlags(info.flags),
    encodeKerberosTime(info.authTime),
    optionalTime(info.startTime),
    encodeKerberosTime(info.endTime),
    optionalTime(info.renewTill),
    encodeGeneralString(info.server.realm),
    encodePrincipalName(info.server),
  ]);

/** EncKrbCredPart for one ticket, to be encrypted with key usage 14. */
export const encodeEncKrbCredPart = (info: CredentialInfo, timestamp: number): Uint8Array =>
  encodeApplication(
    ENC_KRB_CRED_PART,
    encodeFields([
      encodeSequence(encodeCredentialInfo(info)),
      undefined,
      encodeKerberosTime(timestamp),
      encodeInteger((timestamp % 1000) * 1000),
    ]),
  );

export const encodeKrbCred = (ticket: Uint8Array, encPart: EncryptedData): Uint8Array =>
  encodeApplication(
    KRB_CRED,
    encodeFields([...header(KRB_CRED), encodeSequence(ticket), encodeEncryptedData(encPart)]),
  );
