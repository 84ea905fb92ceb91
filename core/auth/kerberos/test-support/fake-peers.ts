/**
 * Test-only Kerberos peers, for the edge cases a real KDC and acceptor will not produce on demand: a KDC
 * that answers AS-REQs and TGS-REQs for one user (with knobs for nonce, tags, flags, known services) and
 * an acceptor that answers AP-REQs. Real interop is main/kerberos/kerberos-interop.test.ts.
 */

import {
  encodeGeneralString,
  encodeInteger,
  encodeOctetString,
  encodeSequence,
  readSingleElement,
} from '../../asn1/der';
import {
  decodeApRequest,
  decodeAuthenticator,
  encodeApReply,
  encodeEncApReplyPart,
  type Authenticator,
} from '../ap-messages';
import {
  decodeEncryptedData,
  encodeApplication,
  encodeEncryptedData,
  encodeEncryptionKey,
  encodeFields,
  encodeKerberosFlags,
  encodeKerberosTime,
  encodePaData,
  encodePrincipalName,
  type PaData,
  type PrincipalName,
  MessageType,
} from '../asn1';
import { CfxSecurityContext } from '../cfx';
import { decryptWith, encryptWith, profileOf, type KerberosKey } from '../crypto/enctypes';
import { decodeKdcRequest, TicketFlag } from '../kdc-messages';
import { decodeKerberosToken, encodeKerberosToken, TokenId } from '../gss-token';

const randomKey = (etype: number, fill: number): KerberosKey => ({
  etype,
  bytes: new Uint8Array(profileOf(etype).keyLength).fill(fill),
});

export function encodeKrbError(
  code: number,
  realm: string,
  sname: PrincipalName,
  serverTime: number,
  eData?: Uint8Array,
): Uint8Array {
  return encodeApplication(
    MessageType.krbError,
    encodeFields([
      encodeInteger(5),
      encodeInteger(MessageType.krbError),
      undefined,
      undefined,
      encodeKerberosTime(serverTime),
      encodeInteger((serverTime % 1000) * 1000),
      encodeInteger(code),
      undefined,
      undefined,
      encodeGeneralString(realm),
      encodePrincipalName(sname),
      undefined,
      eData === undefined ? undefined : encodeOctetString(eData),
    ]),
  );
}

export const encodeEtypeInfo2 = (entries: readonly { etype: number; salt?: string; s2kParams?: Uint8Array }[]) =>
  encodeSequence(
    ...entries.map((entry) =>
      encodeFields([
        encodeInteger(entry.etype),
        entry.salt === undefined ? undefined : encodeGeneralString(entry.salt),
        entry.s2kParams === undefined ? undefined : encodeOctetString(entry.s2kParams),
      ]),
    ),
  );

export const encodeMethodData = (padata: readonly PaData[]) => encodeSequence(...padata.map(encodePaData));

export interface FakeKdcOptions {
  readonly realm: string;
  readonly user: string;
  readonly password: string;
  readonly etype: number;
  readonly salt: string;
  /** s2kparams sent in ETYPE-INFO2 (undefined: none, i.e. 4096 iterations). */
  readonly iterations: number | undefined;
  readonly requirePreauth: boolean;
  /** The application tag of the AS-REP's encrypted part: 25 (EncASRepPart) or 26 (EncTGSRepPart, as AD). */
  readonly asRepPartTag: 25 | 26;
  readonly services: readonly string[];
  readonly tgtFlags: number;
  /** Added to the nonce the replies carry (a KDC that got it wrong). */
  readonly nonceOffset: number;
  /** A TGS-REP for a different server than asked (a referral). */
  readonly referral: boolean;
  readonly now: () => number;
}

export class FakeKdc {
  readonly options: FakeKdcOptions;
  readonly tgtSessionKey = randomKey(18, 0x11);
  readonly serviceSessionKey = randomKey(18, 0x22);
  readonly received: ReturnType<typeof decodeKdcRequest>[] = [];

  constructor(options: Partial<FakeKdcOptions> = {}) {
    this.options = {
      realm: 'EXAMPLE.TEST',
      user: 'alice',
      password: 'secret',
      etype: 18,
      salt: 'EXAMPLE.TESTalice',
      iterations: undefined,
      requirePreauth: true,
      asRepPartTag: 25,
      services: ['HTTP/host.example.test'],
      tgtFlags: TicketFlag.forwardable | TicketFlag.initial | TicketFlag.preAuthent,
      nonceOffset: 0,
      referral: false,
      now: () => Date.UTC(2026, 0, 1, 12, 0, 0),
      ...options,
    };
  }

  get userKey(): KerberosKey {
    const { etype, password, salt, iterations } = this.options;
    const params =
      iterations === undefined ? undefined : Uint8Array.of(0, 0, (iterations >> 8) & 0xff, iterations & 0xff);
    return { etype, bytes: profileOf(etype).stringToKey(password, salt, params) };
  }

  handle(bytes: Uint8Array): Uint8Array {
    const request = decodeKdcRequest(bytes);
    this.received.push(request);
    return request.msgType === MessageType.asReq ? this.#as(request) : this.#tgs(request);
  }

  #etypeInfo(): PaData {
    const { etype, salt, iterations } = this.options;
    const s2kParams =
      iterations === undefined ? undefined : Uint8Array.of(0, 0, (iterations >> 8) & 0xff, iterations & 0xff);
    return { type: 19, value: encodeEtypeInfo2([{ etype, salt, s2kParams }]) };
  }

  #as(request: ReturnType<typeof decodeKdcRequest>): Uint8Array {
    const { realm, requirePreauth, now } = this.options;
    const timestamp = request.padata.find((data) => data.type === 2);
    if (timestamp === undefined && requirePreauth) {
      return encodeKrbError(25, realm, request.body.sname, now(), encodeMethodData([this.#etypeInfo()]));
    }
    if (timestamp !== undefined) {
      try {
        decryptWith(this.userKey, 1, decodeEncryptedData(readSingleElement(timestamp.value)).cipher);
      } catch {
        return encodeKrbError(24, realm, request.body.sname, now());
      }
    }
    return this.#reply(MessageType.asRep, request, this.tgtSessionKey, this.options.tgtFlags, this.userKey, 3, [
      this.#etypeInfo(),
    ]);
  }

  #tgs(request: ReturnType<typeof decodeKdcRequest>): Uint8Array {
    const { realm, services, now } = this.options;
    const apRequest = decodeApRequest(request.padata[0]!.value);
    decodeAuthenticator(decryptWith(this.tgtSessionKey, 7, apRequest.authenticator.cipher));
    const name = request.body.sname.components.join('/');
    if (name.startsWith('krbtgt/')) {
      return this.#reply(
        MessageType.tgsRep,
        request,
        randomKey(18, 0x33),
        this.options.tgtFlags,
        this.tgtSessionKey,
        8,
        [],
      );
    }
    if (!services.includes(name)) return encodeKrbError(7, realm, request.body.sname, now());
    return this.#reply(MessageType.tgsRep, request, this.serviceSessionKey, 0, this.tgtSessionKey, 8, []);
  }

  #reply(
    msgType: number,
    request: ReturnType<typeof decodeKdcRequest>,
    sessionKey: KerberosKey,
    flags: number,
    replyKey: KerberosKey,
    usage: number,
    padata: readonly PaData[],
  ): Uint8Array {
    const { realm, user, now, nonceOffset, referral, asRepPartTag } = this.options;
    const sname =
      referral && msgType === MessageType.tgsRep
        ? { nameType: 2, components: ['krbtgt', 'OTHER.TEST'] }
        : { nameType: request.body.sname.nameType, components: request.body.sname.components };
    const ticket = encodeApplication(
      1,
      encodeFields([
        encodeInteger(5),
        encodeGeneralString(realm),
        encodePrincipalName(sname),
        encodeEncryptedData({ etype: 18, kvno: 1, cipher: new Uint8Array(40).fill(0xee) }),
      ]),
    );
    const time = now();
    const part = encodeApplication(
      msgType === MessageType.asRep ? asRepPartTag : 26,
      encodeFields([
        encodeEncryptionKey(sessionKey),
        encodeSequence(),
        encodeInteger(request.body.nonce + nonceOffset),
        undefined,
        encodeKerberosFlags(flags),
        encodeKerberosTime(time),
        undefined,
        encodeKerberosTime(time + 10 * 3600_000),
        undefined,
        encodeGeneralString(realm),
        encodePrincipalName(sname),
      ]),
    );
    const cipher = encryptWith(replyKey, usage, part, new Uint8Array(profileOf(replyKey.etype).confounderLength));
    return encodeApplication(
      msgType,
      encodeFields([
        encodeInteger(5),
        encodeInteger(msgType),
        padata.length === 0 ? undefined : encodeMethodData(padata),
        encodeGeneralString(realm),
        encodePrincipalName({ nameType: 1, components: [user] }),
        ticket,
        encodeEncryptedData({ etype: replyKey.etype, kvno: undefined, cipher }),
      ]),
    );
  }
}

export interface FakeAcceptorReply {
  /** Send an acceptor subkey (default) or not. */
  readonly subkey?: boolean;
  readonly sequence?: number;
  /** Corrupt the echoed time (a forged AP-REP). */
  readonly wrongTime?: boolean;
  /** Send the bare AP-REP without the GSS framing. */
  readonly unframed?: boolean;
}

/** Accepts an AP-REQ made for `sessionKey`; returns the AP-REP token and the acceptor's context. */
export function acceptApRequest(token: Uint8Array, sessionKey: KerberosKey, reply: FakeAcceptorReply = {}) {
  const { tokenId, message } = decodeKerberosToken(token);
  if (tokenId !== TokenId.apReq) throw new Error('not an AP-REQ');
  const apRequest = decodeApRequest(message);
  const authenticator: Authenticator = decodeAuthenticator(decryptWith(sessionKey, 11, apRequest.authenticator.cipher));
  const acceptorSubkey = reply.subkey === false ? undefined : randomKey(sessionKey.etype, 0x44);
  const sequence = reply.sequence ?? 77;
  const part = encodeEncApReplyPart({
    ctime: authenticator.ctime + (reply.wrongTime ? 1000 : 0),
    cusec: authenticator.cusec,
    subkey: acceptorSubkey,
    seqNumber: sequence,
  });
  const apReply = encodeApReply({
    etype: sessionKey.etype,
    kvno: undefined,
    cipher: encryptWith(sessionKey, 12, part, new Uint8Array(16).fill(5)),
  });
  const context = new CfxSecurityContext({
    role: 'acceptor',
    key: acceptorSubkey ?? authenticator.subkey!,
    acceptorSubkey: acceptorSubkey !== undefined,
    sendSequence: sequence,
    receiveSequence: authenticator.seqNumber!,
    randomBytes: (length) => new Uint8Array(length).fill(9),
    encryptedProtocol: 'test',
  });
  return {
    token: reply.unframed ? apReply : encodeKerberosToken(TokenId.apRep, apReply),
    authenticator,
    apRequest,
    context,
  };
}
