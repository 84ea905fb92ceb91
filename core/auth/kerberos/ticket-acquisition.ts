/**
 * The client side of the KDC exchanges (RFC 4120 §3.1–3.3; PROTOCOL.md §6.4), sans-IO: it hands out
 * requests as bytes for a realm's KDC and consumes the replies; the driver in main/ carries them over
 * TCP. From a password it runs the AS exchange (first without pre-authentication; on
 * KDC_ERR_PREAUTH_REQUIRED again with PA-ENC-TIMESTAMP under the key made from the salt and
 * iterations of PA-ETYPE-INFO2); from a credential cache's TGT it starts at the TGS exchange. It then
 * asks for a ticket to each candidate service principal in turn until one is known
 * (KDC_ERR_S_PRINCIPAL_UNKNOWN moves to the next), and, when delegation is wanted, for a forwarded TGT.
 *
 * Cross-realm referrals are not followed: the services are in the client's realm (an AD forest's
 * other domains would need them).
 */

import { InvalidStateError, UsageError } from '../../errors';
import { StateMachine, type TransitionTable } from '../../state-machine';
import { readSingleElement } from '../asn1/der';
import { encodeApRequest, encodeAuthenticator } from './ap-messages';
import {
  decodeMethodData,
  encodeEncryptedData,
  formatPrincipal,
  NameType,
  type PaData,
  PaDataType,
  type Principal,
  samePrincipal,
  type PrincipalName,
  MessageType,
} from './asn1';
import {
  decryptWith,
  encryptWith,
  EncryptionType,
  isSupportedEtype,
  profileOf,
  type KerberosKey,
} from './crypto/enctypes';
import { isTicketGrantingTicket, ticketGrantingService, type KerberosCredential } from './credentials';
import { KerberosErrorCode } from './error-codes';
import { KerberosAuthenticationError, KerberosIntegrityError, KerberosMessageError } from './errors';
import { kdcError, serviceUnknownError } from './failures';
import {
  decodeEncKdcReplyPart,
  decodeKdcResponse,
  encodeKdcRequest,
  encodeKdcRequestBody,
  encodePacRequest,
  encodePaEncTimestamp,
  findEtypeInfo,
  KdcOption,
  type EtypeInfo,
  type KdcReply,
  type KrbError,
  TicketFlag,
} from './kdc-messages';

/** Key usages of the KDC exchanges (RFC 4120 §7.5.1). */
export const KeyUsage = {
  paEncTimestamp: 1,
  asRepEncPart: 3,
  tgsReqAuthenticatorChecksum: 6,
  tgsReqAuthenticator: 7,
  tgsRepEncPartSessionKey: 8,
} as const;

/** What the client proves its identity with. */
export type KerberosSecret =
  | { readonly kind: 'password'; readonly password: string }
  /** A TGT from a credential cache (`kinit`): no password needed. */
  | { readonly kind: 'ticket-granting-ticket'; readonly credential: KerberosCredential };

export interface TicketAcquisitionOptions {
  readonly client: Principal;
  readonly secret: KerberosSecret;
  /** Tried in order until the KDC knows one (HTTP/host, host/host, WSMAN/host), all in one realm. */
  readonly servicePrincipals: readonly Principal[];
  /** Also obtain a forwarded TGT, to delegate the user's credentials to the server. */
  readonly forwardTgt: boolean;
  /** Milliseconds since the Unix epoch. */
  readonly now: () => number;
  readonly randomBytes: (length: number) => Uint8Array;
}

/** A request for a KDC of `realm`. */
export interface KdcMessage {
  readonly realm: string;
  readonly bytes: Uint8Array;
}

export interface TicketAcquisitionResult {
  readonly tgt: KerberosCredential;
  readonly service: KerberosCredential;
  readonly forwardedTgt: KerberosCredential | undefined;
  /** The etype of the key made from the password (undefined with a cached TGT). */
  readonly passwordKeyEtype: number | undefined;
  /** The service principals asked for, in order; the last is the one the ticket is for. */
  readonly servicePrincipalsTried: readonly string[];
}

export type TicketAcquisitionStep =
  | { readonly kind: 'send'; readonly message: KdcMessage }
  | { readonly kind: 'complete'; readonly result: TicketAcquisitionResult };

type State =
  | 'initial'
  | 'as-requested'
  | 'as-preauthenticated'
  | 'service-requested'
  | 'forward-requested'
  | 'complete'
  | 'failed';
type Action =
  | 'request-tgt'
  | 'preauthenticate'
  | 'request-service'
  | 'request-next-service'
  | 'request-forward'
  | 'finish'
  | 'fail';

const transitions: TransitionTable<State, Action> = {
  'request-tgt': { from: ['initial'], to: 'as-requested' },
  preauthenticate: { from: ['as-requested'], to: 'as-preauthenticated' },
  'request-service': { from: ['initial', 'as-requested', 'as-preauthenticated'], to: 'service-requested' },
  /** The KDC did not know the last SPN: ask for the next. */
  'request-next-service': { from: ['service-requested'], to: 'service-requested' },
  'request-forward': { from: ['service-requested'], to: 'forward-requested' },
  finish: { from: ['service-requested', 'forward-requested'], to: 'complete' },
  fail: {
    from: ['initial', 'as-requested', 'as-preauthenticated', 'service-requested', 'forward-requested'],
    to: 'failed',
  },
};

/** Etypes offered for the TGT: AES first; RC4 for accounts that only have an RC4 key. */
const TGT_ETYPES = [EncryptionType.aes256CtsHmacSha196, EncryptionType.aes128CtsHmacSha196, EncryptionType.rc4Hmac];
/** Etypes offered for the service session key: AES only, since RC4 GSS wrap is not supported. */
const SERVICE_ETYPES = [EncryptionType.aes256CtsHmacSha196, EncryptionType.aes128CtsHmacSha196];
/** The `till` every Windows client sends: as long as the KDC allows. */
const FAR_FUTURE = Date.UTC(2037, 8, 13, 2, 48, 5);

const MAX_NONCE = 0x7fffffff;
const RECEIVING_STATES: readonly State[] = [
  'as-requested',
  'as-preauthenticated',
  'service-requested',
  'forward-requested',
];

export class TicketAcquisition {
  readonly #options: TicketAcquisitionOptions;
  readonly #machine = new StateMachine<State, Action>('Kerberos ticket acquisition', transitions, 'initial');
  readonly #display: string;
  #nonce = 0;
  /** The user's long-term key once known (from ETYPE-INFO2, or the AS-REP's padata). */
  #userKey: KerberosKey | undefined;
  #tgt: KerberosCredential | undefined;
  #service: KerberosCredential | undefined;
  #serviceIndex = 0;

  constructor(options: TicketAcquisitionOptions) {
    if (options.servicePrincipals.length === 0) throw new UsageError('no service principal to ask a ticket for');
    if (options.secret.kind === 'ticket-granting-ticket' && !isTicketGrantingTicket(options.secret.credential)) {
      throw new UsageError('the credential given as ticket-granting ticket is not one');
    }
    this.#options = options;
    this.#display = formatPrincipal(options.client);
  }

  get state(): State {
    return this.#machine.state;
  }

  /** The first request: an AS-REQ, or with a cached TGT the first TGS-REQ. */
  start(): KdcMessage {
    const { secret } = this.#options;
    if (secret.kind === 'ticket-granting-ticket') {
      this.#machine.transition('request-service');
      this.#tgt = secret.credential;
      return this.#serviceRequest();
    }
    this.#machine.transition('request-tgt');
    return this.#asRequest([]);
  }

  /** Consumes the KDC's reply to the last request. */
  receive(bytes: Uint8Array): TicketAcquisitionStep {
    const state = this.#machine.state;
    if (!RECEIVING_STATES.includes(state)) {
      throw new InvalidStateError(this.#machine.name, 'receive', state, RECEIVING_STATES);
    }
    try {
      if (state === 'service-requested') return this.#receiveServiceReply(bytes);
      if (state === 'forward-requested') return this.#receiveForwardReply(bytes);
      return this.#receiveAsReply(bytes);
    } catch (error) {
      this.#machine.transition('fail');
      throw error;
    }
  }

  // --- AS exchange ------------------------------------------------------------------------------

  #asRequest(padata: readonly PaData[]): KdcMessage {
    const { client } = this.#options;
    this.#nonce = this.#newNonce();
    const body = encodeKdcRequestBody({
      options: KdcOption.forwardable | KdcOption.renewableOk,
      cname: { nameType: client.nameType, components: client.components },
      realm: client.realm,
      sname: ticketGrantingService(client.realm),
      till: FAR_FUTURE,
      nonce: this.#nonce,
      etypes: TGT_ETYPES,
    });
    const pacRequest: PaData = { type: PaDataType.pacRequest, value: encodePacRequest(true) };
    return { realm: client.realm, bytes: encodeKdcRequest(MessageType.asReq, [...padata, pacRequest], body) };
  }

  #receiveAsReply(bytes: Uint8Array): TicketAcquisitionStep {
    const response = decodeKdcResponse(bytes, MessageType.asRep);
    if (response.kind === 'error') {
      if (
        response.error.errorCode === KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED &&
        this.#machine.state === 'as-requested'
      ) {
        return { kind: 'send', message: this.#preauthenticatedRequest(response.error) };
      }
      throw this.#kdcError(response.error);
    }
    const reply = response.reply;
    if (this.#userKey?.etype !== reply.encPart.etype) this.#userKey = this.#keyFromReply(reply);
    let part;
    try {
      part = decodeEncKdcReplyPart(decryptWith(this.#userKey, KeyUsage.asRepEncPart, reply.encPart.cipher));
    } catch (error) {
      // Without pre-authentication a wrong password shows only here: the reply does not decrypt.
      if (error instanceof KerberosIntegrityError) throw this.#wrongPassword();
      throw error;
    }
    this.#tgt = this.#credential(reply, part);
    if (!isTicketGrantingTicket(this.#tgt)) {
      throw new KerberosMessageError(`the AS-REP is for ${formatPrincipal(this.#tgt.server)}, not a TGT`);
    }
    this.#machine.transition('request-service');
    return { kind: 'send', message: this.#serviceRequest() };
  }

  #preauthenticatedRequest(error: KrbError): KdcMessage {
    this.#machine.transition('preauthenticate');
    const methods = error.eData === undefined ? [] : decodeMethodData(readSingleElement(error.eData));
    const offered = findEtypeInfo(methods);
    const info =
      offered.length === 0
        ? { etype: TGT_ETYPES[0]!, salt: undefined, s2kParams: undefined }
        : offered.find((entry) => isSupportedEtype(entry.etype));
    if (info === undefined) {
      throw new KerberosAuthenticationError(
        'kdc-error',
        this.#display,
        `the KDC of ${error.realm} offers only encryption types ${offered.map((entry) => entry.etype).join(', ')} ` +
          `for ${this.#display}; this client supports AES256, AES128 and RC4`,
        KerberosErrorCode.KDC_ERR_ETYPE_NOSUPP,
      );
    }
    this.#userKey = this.#stringToKey(info);
    const now = this.#options.now();
    const profile = profileOf(this.#userKey.etype);
    const timestamp = encryptWith(
      this.#userKey,
      KeyUsage.paEncTimestamp,
      encodePaEncTimestamp(now),
      this.#options.randomBytes(profile.confounderLength),
    );
    const encTimestamp: PaData = {
      type: PaDataType.encTimestamp,
      value: encodeEncryptedData({ etype: this.#userKey.etype, kvno: undefined, cipher: timestamp }),
    };
    return this.#asRequest([encTimestamp]);
  }

  #keyFromReply(reply: KdcReply): KerberosKey {
    const info = findEtypeInfo(reply.padata).find((entry) => entry.etype === reply.encPart.etype);
    return this.#stringToKey(info ?? { etype: reply.encPart.etype, salt: undefined, s2kParams: undefined });
  }

  #stringToKey(info: EtypeInfo): KerberosKey {
    const { secret, client } = this.#options;
    if (secret.kind !== 'password') throw new UsageError('no password to derive a key from');
    // RFC 4120 §4: the default salt is the realm followed by the name components.
    const salt = info.salt ?? client.realm + client.components.join('');
    return { etype: info.etype, bytes: profileOf(info.etype).stringToKey(secret.password, salt, info.s2kParams) };
  }

  #wrongPassword(): KerberosAuthenticationError {
    return new KerberosAuthenticationError(
      'wrong-password',
      this.#display,
      `the KDC's reply for ${this.#display} does not decrypt with the password given: check the password`,
    );
  }

  // --- TGS exchanges ----------------------------------------------------------------------------

  #serviceRequest(): KdcMessage {
    const service = this.#options.servicePrincipals[this.#serviceIndex]!;
    return this.#tgsRequest(service, KdcOption.forwardable, SERVICE_ETYPES);
  }

  #tgsRequest(server: Principal, options: number, etypes: readonly number[]): KdcMessage {
    const tgt = this.#tgt!;
    const { now, randomBytes } = this.#options;
    this.#nonce = this.#newNonce();
    const sname: PrincipalName = { nameType: NameType.serviceInstance, components: server.components };
    const body = encodeKdcRequestBody({
      options,
      cname: undefined,
      realm: server.realm,
      sname,
      till: FAR_FUTURE,
      nonce: this.#nonce,
      etypes,
    });
    const profile = profileOf(tgt.key.etype);
    const time = now();
    const authenticator = encodeAuthenticator({
      client: tgt.client,
      checksum: {
        type: profile.checksumType,
        value: profile.checksum(tgt.key.bytes, KeyUsage.tgsReqAuthenticatorChecksum, body),
      },
      ctime: time,
      cusec: (time % 1000) * 1000,
      subkey: undefined,
      seqNumber: undefined,
    });
    const encrypted = encryptWith(
      tgt.key,
      KeyUsage.tgsReqAuthenticator,
      authenticator,
      randomBytes(profile.confounderLength),
    );
    const apRequest = encodeApRequest(0, tgt.ticket, { etype: tgt.key.etype, kvno: undefined, cipher: encrypted });
    return {
      realm: server.realm,
      bytes: encodeKdcRequest(MessageType.tgsReq, [{ type: PaDataType.tgsReq, value: apRequest }], body),
    };
  }

  /** Decodes a TGS-REP and returns the credential, or throws what the KRB-ERROR means. */
  #tgsReply(bytes: Uint8Array, requested: Principal): KerberosCredential | KrbError {
    const response = decodeKdcResponse(bytes, MessageType.tgsRep);
    if (response.kind === 'error') return response.error;
    const reply = response.reply;
    const tgt = this.#tgt!;
    if (reply.encPart.etype !== tgt.key.etype) {
      throw new KerberosMessageError(
        `TGS-REP encrypted with etype ${reply.encPart.etype}, session key is ${tgt.key.etype}`,
      );
    }
    const part = decodeEncKdcReplyPart(decryptWith(tgt.key, KeyUsage.tgsRepEncPartSessionKey, reply.encPart.cipher));
    const credential = this.#credential(reply, part);
    if (!samePrincipal(credential.server, requested)) {
      throw new KerberosAuthenticationError(
        'kdc-error',
        this.#display,
        `the KDC of ${requested.realm} answered the request for ${formatPrincipal(requested)} with a ticket for ` +
          `${formatPrincipal(credential.server)}; cross-realm referrals are not supported`,
      );
    }
    return credential;
  }

  #receiveServiceReply(bytes: Uint8Array): TicketAcquisitionStep {
    const services = this.#options.servicePrincipals;
    const requested = services[this.#serviceIndex]!;
    const outcome = this.#tgsReply(bytes, requested);
    if ('errorCode' in outcome) {
      if (outcome.errorCode !== KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN) throw this.#kdcError(outcome);
      if (this.#serviceIndex + 1 === services.length) {
        throw serviceUnknownError(this.#display, requested.realm, this.#servicesTried());
      }
      this.#serviceIndex++;
      this.#machine.transition('request-next-service');
      return { kind: 'send', message: this.#serviceRequest() };
    }
    this.#service = outcome;
    if (!this.#options.forwardTgt) return this.#finish(undefined);
    const tgt = this.#tgt!;
    if ((tgt.flags & TicketFlag.forwardable) === 0) {
      throw new KerberosAuthenticationError(
        'kdc-error',
        this.#display,
        `the ticket-granting ticket of ${this.#display} is not forwardable, so it cannot be delegated to the server: ` +
          `get a forwardable one (kinit -f) or do not ask for delegation`,
      );
    }
    this.#machine.transition('request-forward');
    return {
      kind: 'send',
      message: this.#tgsRequest(tgt.server, KdcOption.forwardable | KdcOption.forwarded, TGT_ETYPES),
    };
  }

  #receiveForwardReply(bytes: Uint8Array): TicketAcquisitionStep {
    const outcome = this.#tgsReply(bytes, this.#tgt!.server);
    if ('errorCode' in outcome) throw this.#kdcError(outcome);
    return this.#finish(outcome);
  }

  #finish(forwardedTgt: KerberosCredential | undefined): TicketAcquisitionStep {
    this.#machine.transition('finish');
    return {
      kind: 'complete',
      result: {
        tgt: this.#tgt!,
        service: this.#service!,
        forwardedTgt,
        passwordKeyEtype: this.#userKey?.etype,
        servicePrincipalsTried: this.#servicesTried(),
      },
    };
  }

  // --- Shared -----------------------------------------------------------------------------------

  #servicesTried(): string[] {
    return this.#options.servicePrincipals.slice(0, this.#serviceIndex + 1).map(formatPrincipal);
  }

  #credential(reply: KdcReply, part: ReturnType<typeof decodeEncKdcReplyPart>): KerberosCredential {
    if (part.nonce !== this.#nonce) throw new KerberosMessageError('the KDC reply does not carry our nonce');
    return {
      client: { ...reply.cname, realm: reply.crealm },
      server: { ...part.sname, realm: part.srealm },
      key: part.key,
      ticket: reply.ticket.encoded,
      flags: part.flags,
      authTime: part.authTime,
      startTime: part.startTime,
      endTime: part.endTime,
      renewTill: part.renewTill,
    };
  }

  #kdcError(error: KrbError): KerberosAuthenticationError {
    return kdcError(this.#display, error, this.#options.now());
  }

  #newNonce(): number {
    const bytes = this.#options.randomBytes(4);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) & MAX_NONCE;
  }
}
