/**
 * The Kerberos GSS-API initiator (RFC 4121) over a service ticket already obtained from the KDC
 * (ticket-acquisition.ts, driven by main/): the AP-REQ with mutual authentication, then the AP-REP
 * that completes the context and sets up message protection. It implements SPNEGO's GssMechanism and
 * is wrapped by KerberosAuthContext for the raw `Kerberos` HTTP scheme.
 *
 * The authenticator carries a fresh subkey, a random initial sequence number and the 0x8003 checksum:
 * Bnd = MD5 of the channel-bindings struct over the RFC 5929 data on HTTPS (16 zero bytes otherwise),
 * flags mutual|replay|sequence|conf|integ (+deleg with a forwarded TGT as KRB-CRED). The AP-REP's
 * ctime/cusec must echo ours; its subkey (when present) keys the per-message tokens.
 */

import { InvalidStateError, ProtocolError, UsageError } from '../../errors';
import { StateMachine, type TransitionTable } from '../../state-machine';
import type { GssMechanism } from '../spnego/gss-mechanism';
import { channelBindingsHash } from '../channel-bindings';
import type { MessageSealing } from '../mechanism';
import {
  ApOption,
  decodeApReply,
  decodeEncApReplyPart,
  encodeApRequest,
  encodeAuthenticator,
  encodeEncKrbCredPart,
  encodeKrbCred,
} from './ap-messages';
import { formatPrincipal } from './asn1';
import { CfxSecurityContext } from './cfx';
import { ChecksumType, decryptWith, encryptWith, profileOf, type KerberosKey } from './crypto/enctypes';
import type { KerberosCredential } from './credentials';
import { KerberosAuthenticationError, KerberosMessageError } from './errors';
import { serverError } from './failures';
import { decodeKrbError } from './kdc-messages';
import {
  decodeKerberosToken,
  encodeGssChecksum,
  encodeKerberosToken,
  GssFlag,
  KERBEROS_OID,
  TokenId,
} from './gss-token';

/** Key usages of the AP exchange (RFC 4120 §7.5.1). */
export const ApKeyUsage = { authenticator: 11, apRepEncPart: 12, krbCred: 14 } as const;

export const SPNEGO_ENCRYPTED_PROTOCOL = 'application/HTTP-SPNEGO-session-encrypted';
export const KERBEROS_ENCRYPTED_PROTOCOL = 'application/HTTP-Kerberos-session-encrypted';

const BASE_FLAGS = GssFlag.mutual | GssFlag.replay | GssFlag.sequence | GssFlag.confidentiality | GssFlag.integrity;
const MAX_SEQUENCE = 0x3fffffff;
/** An AP-REP starts with [APPLICATION 15]; some acceptors send it without the GSS framing. */
const AP_REP_IDENTIFIER = 0x6f;

export interface KerberosInitiatorOptions {
  /** The service ticket for the server's SPN. */
  readonly ticket: KerberosCredential;
  /** A forwarded TGT to delegate (double hop); undefined = no delegation. */
  readonly forwardedTgt: KerberosCredential | undefined;
  /** RFC 5929 tls-server-end-point application data on HTTPS, else undefined. */
  readonly channelBindings: Uint8Array | undefined;
  readonly randomBytes: (length: number) => Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly now: () => number;
  /** `protocol=` of encrypted messages; SPNEGO's by default. */
  readonly encryptedProtocol?: string;
}

type State = 'initial' | 'ap-req-sent' | 'complete' | 'failed';
type Action = 'send-ap-req' | 'accept-ap-rep' | 'fail';

const transitions: TransitionTable<State, Action> = {
  'send-ap-req': { from: ['initial'], to: 'ap-req-sent' },
  'accept-ap-rep': { from: ['ap-req-sent'], to: 'complete' },
  fail: { from: ['initial', 'ap-req-sent'], to: 'failed' },
};

export class KerberosInitiator implements GssMechanism {
  readonly oid = KERBEROS_OID;
  readonly name = 'Kerberos';
  readonly requiresMechListMic = false;
  readonly principal: string;
  readonly #options: KerberosInitiatorOptions;
  readonly #machine = new StateMachine<State, Action>('Kerberos initiator', transitions, 'initial');
  readonly #service: string;
  #sent:
    | { readonly ctime: number; readonly cusec: number; readonly subkey: KerberosKey; readonly sequence: number }
    | undefined;
  #context: CfxSecurityContext | undefined;

  constructor(options: KerberosInitiatorOptions) {
    this.#options = options;
    this.principal = formatPrincipal(options.ticket.client);
    this.#service = formatPrincipal(options.ticket.server);
  }

  get complete(): boolean {
    return this.#machine.state === 'complete';
  }

  get sealing(): MessageSealing | undefined {
    return this.#context;
  }

  /** The service principal the ticket is for (`HTTP/host@REALM`). */
  get servicePrincipal(): string {
    return this.#service;
  }

  step(token: Uint8Array | undefined): Uint8Array | undefined {
    if (this.#machine.state === 'initial') {
      if (token !== undefined) throw new ProtocolError('the Kerberos acceptor spoke first');
      this.#machine.transition('send-ap-req');
      return this.#apRequest();
    }
    if (this.#machine.state !== 'ap-req-sent') {
      throw new InvalidStateError(this.#machine.name, 'step', this.#machine.state, ['initial', 'ap-req-sent']);
    }
    try {
      if (token === undefined) {
        throw new ProtocolError(
          `the server ${this.#service} completed without an AP-REP: mutual authentication failed`,
        );
      }
      this.#acceptApReply(token);
      this.#machine.transition('accept-ap-rep');
      return undefined;
    } catch (error) {
      this.#machine.transition('fail');
      throw error;
    }
  }

  mechListMic(mechTypeList: Uint8Array): Uint8Array {
    return this.#established().getMic(mechTypeList);
  }

  verifyMechListMic(mechTypeList: Uint8Array, mic: Uint8Array): void {
    this.#established().verifyMic(mechTypeList, mic);
  }

  credentialsRejected(mechanism: string): KerberosAuthenticationError {
    return new KerberosAuthenticationError(
      'server-rejected',
      this.principal,
      `the server rejected the Kerberos ticket of ${this.principal} for ${this.#service} using ${mechanism}: ` +
        `check that the host name used for Kerberos is the server's own name and that its keys are current`,
      undefined,
      mechanism,
    );
  }

  #established(): CfxSecurityContext {
    if (this.#context === undefined) throw new UsageError('the Kerberos context is not established');
    return this.#context;
  }

  #apRequest(): Uint8Array {
    const { ticket, forwardedTgt, channelBindings, randomBytes, now } = this.#options;
    const sessionKey = ticket.key;
    const profile = profileOf(sessionKey.etype);
    const time = now();
    const sequenceBytes = randomBytes(4);
    const sent = {
      ctime: time - (time % 1000),
      cusec: (time % 1000) * 1000,
      subkey: { etype: sessionKey.etype, bytes: randomBytes(profile.keyLength) },
      sequence: new DataView(sequenceBytes.buffer, sequenceBytes.byteOffset, 4).getUint32(0) & MAX_SEQUENCE,
    };
    const delegation = forwardedTgt === undefined ? undefined : this.#krbCred(forwardedTgt, time);
    const checksum = encodeGssChecksum({
      bindingsHash: channelBindingsHash(channelBindings),
      flags: BASE_FLAGS | (delegation === undefined ? 0 : GssFlag.delegate),
      delegation,
    });
    const authenticator = encodeAuthenticator({
      client: ticket.client,
      checksum: { type: ChecksumType.gssApi, value: checksum },
      ctime: sent.ctime,
      cusec: sent.cusec,
      subkey: sent.subkey,
      seqNumber: sent.sequence,
    });
    const encrypted = encryptWith(
      sessionKey,
      ApKeyUsage.authenticator,
      authenticator,
      randomBytes(profile.confounderLength),
    );
    this.#sent = sent;
    const apRequest = encodeApRequest(ApOption.mutualRequired, ticket.ticket, {
      etype: sessionKey.etype,
      kvno: undefined,
      cipher: encrypted,
    });
    return encodeKerberosToken(TokenId.apReq, apRequest);
  }

  /** KRB-CRED with the forwarded TGT, encrypted with the service ticket's session key (usage 14). */
  #krbCred(forwarded: KerberosCredential, time: number): Uint8Array {
    const { ticket, randomBytes } = this.#options;
    const part = encodeEncKrbCredPart(
      {
        key: forwarded.key,
        client: forwarded.client,
        server: forwarded.server,
        flags: forwarded.flags,
        authTime: forwarded.authTime,
        startTime: forwarded.startTime,
        endTime: forwarded.endTime,
        renewTill: forwarded.renewTill,
      },
      time,
    );
    const cipher = encryptWith(
      ticket.key,
      ApKeyUsage.krbCred,
      part,
      randomBytes(profileOf(ticket.key.etype).confounderLength),
    );
    return encodeKrbCred(forwarded.ticket, { etype: ticket.key.etype, kvno: undefined, cipher });
  }

  #acceptApReply(token: Uint8Array): void {
    const now = this.#options.now();
    let apReply: Uint8Array;
    if (token[0] === AP_REP_IDENTIFIER) {
      apReply = token;
    } else {
      const { tokenId, message } = decodeKerberosToken(token);
      if (tokenId === TokenId.error) throw serverError(this.principal, this.#service, decodeKrbError(message), now);
      if (tokenId !== TokenId.apRep)
        throw new KerberosMessageError(`Kerberos token id ${tokenId.toString(16)} instead of an AP-REP`);
      apReply = message;
    }
    const sent = this.#sent!;
    const sessionKey = this.#options.ticket.key;
    const encPart = decodeApReply(apReply);
    if (encPart.etype !== sessionKey.etype) {
      throw new KerberosMessageError(
        `AP-REP encrypted with etype ${encPart.etype}, session key is ${sessionKey.etype}`,
      );
    }
    const part = decodeEncApReplyPart(decryptWith(sessionKey, ApKeyUsage.apRepEncPart, encPart.cipher));
    if (part.ctime !== sent.ctime || part.cusec !== sent.cusec) {
      throw new KerberosMessageError('the AP-REP does not echo our authenticator time: mutual authentication failed');
    }
    this.#context = new CfxSecurityContext({
      role: 'initiator',
      key: part.subkey ?? sent.subkey,
      acceptorSubkey: part.subkey !== undefined,
      sendSequence: sent.sequence,
      receiveSequence: part.seqNumber ?? sent.sequence,
      randomBytes: this.#options.randomBytes,
      encryptedProtocol: this.#options.encryptedProtocol ?? SPNEGO_ENCRYPTED_PROTOCOL,
    });
  }
}
