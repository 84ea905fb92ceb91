/**
 * The NTLM initiator (MS-NLMP 3.1.5; PROTOCOL.md §4): NEGOTIATE, then the AUTHENTICATE answering the
 * server's CHALLENGE with NTLMv2, then session security. Sans-IO: randomness and time are inputs.
 * Raw NTLM in the HTTP `Negotiate` scheme (context.ts) and SPNEGO (../spnego) both drive it.
 */

import { InvalidStateError, ProtocolError, UsageError } from '../../errors';
import { StateMachine, type TransitionTable } from '../../state-machine';
import { AuthenticationError } from '../authentication-error';
import { rc4Once } from '../crypto/rc4';
import type { AuthConnectionInfo, MessageSealing } from '../mechanism';
import { AV_FLAG_MIC_PRESENT, AvId, encodeAvPairs, findAvPair, type AvPair } from './av-pairs';
import { channelBindingsHash } from '../channel-bindings';
import { CLIENT_NEGOTIATE_FLAGS, hasFlag, NegotiateFlag } from './flags';
import {
  AUTHENTICATE_MIC_OFFSET,
  CLIENT_VERSION,
  decodeChallenge,
  encodeAuthenticate,
  encodeNegotiate,
  utf16le,
  type ChallengeMessage,
} from './messages';
import { fileTime, hmacMd5, lmv2Response, ntlmv2ClientBlob, ntlmv2Response, ntowfv2 } from './ntlmv2';
import { NtlmSessionSecurity, ntlmMessageSealing } from './session-security';
import { parseNtlmUserName, type NtlmUserName } from './user-name';

/** The NTLMSSP mechanism OID (1.3.6.1.4.1.311.2.2.10). */
export const NTLM_OID = '1.3.6.1.4.1.311.2.2.10';

export interface NtlmCredentials {
  /** `DOMAIN\user`, `user@realm` (UPN) or `user`. */
  readonly userName: string;
  readonly password: string;
}

export interface NtlmOptions {
  readonly credentials: NtlmCredentials;
  readonly connection: AuthConnectionInfo;
  /** Cryptographically strong random bytes (client challenge, exported session key). */
  readonly randomBytes: (length: number) => Uint8Array;
  /** Milliseconds since the Unix epoch; the NTLMv2 timestamp when the server sends none. */
  readonly now: () => number;
  /** This machine's NetBIOS name for the AUTHENTICATE Workstation field; empty by default. */
  readonly workstation?: string;
  /** The service part of the SPN sent as MsvAvTargetName (`<service>/<targetHostName>`); `HTTP` by default. */
  readonly spnService?: string;
}

type State = 'initial' | 'negotiate-sent' | 'complete' | 'failed';
type Action = 'negotiate' | 'authenticate' | 'fail';

const transitions: TransitionTable<State, Action> = {
  negotiate: { from: ['initial'], to: 'negotiate-sent' },
  authenticate: { from: ['negotiate-sent'], to: 'complete' },
  fail: { from: ['initial', 'negotiate-sent'], to: 'failed' },
};

/** Flags the client cannot do without; a CHALLENGE lacking one is refused. */
const REQUIRED_FLAGS = [
  [NegotiateFlag.unicode, 'UNICODE'],
  [NegotiateFlag.ntlm, 'NTLM'],
  [NegotiateFlag.extendedSessionSecurity, 'EXTENDED_SESSIONSECURITY (NTLMv2 session security)'],
  [NegotiateFlag.sign, 'SIGN'],
  [NegotiateFlag.seal, 'SEAL'],
] as const;

export class NtlmInitiator {
  readonly oid = NTLM_OID;
  readonly name = 'NTLM';
  readonly #options: NtlmOptions;
  readonly #user: NtlmUserName;
  readonly #machine = new StateMachine<State, Action>('NTLM initiator', transitions, 'initial');
  #negotiate: Uint8Array | undefined;
  #session: NtlmSessionSecurity | undefined;
  #sealing: MessageSealing | undefined;
  #micSent = false;

  constructor(options: NtlmOptions) {
    this.#options = options;
    this.#user = parseNtlmUserName(options.credentials.userName);
  }

  get complete(): boolean {
    return this.#machine.state === 'complete';
  }

  /** The user as typed, for messages. */
  get principal(): string {
    return this.#user.display;
  }

  /**
   * The first call (no token) returns NEGOTIATE; the second consumes CHALLENGE and returns AUTHENTICATE,
   * after which the context is complete. Throws InvalidStateError when called again.
   */
  step(token: Uint8Array | undefined): Uint8Array {
    if (this.#machine.state === 'initial') {
      if (token !== undefined) throw new UsageError('the NTLM initiator speaks first: its first step takes no token');
      this.#machine.transition('negotiate');
      this.#negotiate = encodeNegotiate(CLIENT_NEGOTIATE_FLAGS, CLIENT_VERSION);
      return this.#negotiate;
    }
    if (!this.#machine.can('authenticate')) {
      const { name, state } = this.#machine;
      throw new InvalidStateError(name, 'authenticate', state, this.#machine.allowedStates('authenticate'));
    }
    try {
      if (token === undefined) throw new ProtocolError('the server answered NTLM NEGOTIATE without a CHALLENGE');
      const authenticate = this.#authenticate(token);
      this.#machine.transition('authenticate');
      return authenticate;
    } catch (error) {
      this.#machine.transition('fail');
      throw error;
    }
  }

  /** GSS wrap/unwrap once complete (WinRM message encryption; CredSSP's pubKeyAuth and authInfo). */
  get sealing(): MessageSealing | undefined {
    return this.#sealing;
  }

  /** MS-SPNG: an AUTHENTICATE that carries a MIC obliges both sides to exchange a mechListMIC. */
  get requiresMechListMic(): boolean {
    return this.#micSent;
  }

  /** The SPNEGO mechListMIC over the DER MechTypeList; then the outgoing keystream restarts (PROTOCOL.md §6.3). */
  mechListMic(mechTypeList: Uint8Array): Uint8Array {
    const session = this.#established();
    const mic = session.sign(mechTypeList);
    session.resetKeystream('outgoing');
    return mic;
  }

  /** Verifies the server's mechListMIC; then the incoming keystream restarts. */
  verifyMechListMic(mechTypeList: Uint8Array, mic: Uint8Array): void {
    const session = this.#established();
    session.verify(mechTypeList, mic);
    session.resetKeystream('incoming');
  }

  /** The error to report when the server refuses the AUTHENTICATE (HTTP 401 after the final leg). */
  credentialsRejected(mechanism = this.name): AuthenticationError {
    return AuthenticationError.credentialsRejected(this.#user.display, mechanism);
  }

  #established(): NtlmSessionSecurity {
    if (this.#session === undefined) throw new UsageError('the NTLM context is not complete');
    return this.#session;
  }

  #authenticate(challengeBytes: Uint8Array): Uint8Array {
    const challenge = decodeChallenge(challengeBytes);
    for (const [flag, name] of REQUIRED_FLAGS) {
      if (!hasFlag(challenge.flags, flag)) {
        throw new ProtocolError(`the server's NTLM CHALLENGE does not grant ${name}, which this client requires`);
      }
    }
    // As SSPI does, the AUTHENTICATE repeats the flags the server chose.
    const flags = challenge.flags;
    const { randomBytes } = this.#options;
    const responseKey = ntowfv2(this.#options.credentials.password, this.#user.user, this.#user.domain);
    const serverTimestamp = findAvPair(challenge.targetInfo, AvId.timestamp);
    // MS-NLMP 3.1.5.1.2: a server timestamp means the server checks a MIC, and LMv2 is replaced by Z(24).
    const withMic = serverTimestamp !== undefined;
    const clientChallenge = randomBytes(8);
    const blob = ntlmv2ClientBlob(
      serverTimestamp ?? fileTime(this.#options.now()),
      clientChallenge,
      encodeAvPairs(this.#responseTargetInfo(challenge, withMic)),
    );
    const { ntChallengeResponse, sessionBaseKey } = ntlmv2Response(responseKey, challenge.serverChallenge, blob);
    const lmChallengeResponse = withMic
      ? new Uint8Array(24)
      : lmv2Response(responseKey, challenge.serverChallenge, clientChallenge);

    // NTLMv2: KeyExchangeKey = SessionBaseKey. With KEY_EXCH the client picks the session key.
    const keyExchange = hasFlag(flags, NegotiateFlag.keyExchange);
    const exportedSessionKey = keyExchange ? randomBytes(16) : sessionBaseKey;
    const message = encodeAuthenticate({
      flags,
      lmChallengeResponse,
      ntChallengeResponse,
      domainName: this.#user.domain,
      userName: this.#user.user,
      workstation: this.#options.workstation ?? '',
      encryptedRandomSessionKey: keyExchange ? rc4Once(sessionBaseKey, exportedSessionKey) : new Uint8Array(0),
      version: hasFlag(flags, NegotiateFlag.version) ? CLIENT_VERSION : undefined,
      withMic,
    });
    if (withMic) {
      // The MIC covers the exact bytes of all three messages, with its own slot zeroed.
      const mic = hmacMd5(exportedSessionKey, this.#negotiate!, challengeBytes, message);
      message.set(mic, AUTHENTICATE_MIC_OFFSET);
    }
    this.#micSent = withMic;
    this.#session = new NtlmSessionSecurity(exportedSessionKey, flags, 'initiator');
    this.#sealing = ntlmMessageSealing(this.#session);
    return message;
  }

  /**
   * The server's TargetInfo, extended as SSPI does: MsvAvFlags with the MIC bit (when a MIC is sent),
   * MsvAvTargetName = the SPN, MsvAvChannelBindings = MD5 of the TLS channel bindings, or Z(16) when
   * there are none (Windows always sends the pair; an all-zero hash means "no bindings").
   */
  #responseTargetInfo(challenge: ChallengeMessage, withMic: boolean): AvPair[] {
    const { connection, spnService = 'HTTP' } = this.#options;
    const replaced = new Set<number>([AvId.targetName, AvId.channelBindings]);
    const pairs: AvPair[] = challenge.targetInfo.filter((pair) => !replaced.has(pair.id));
    if (withMic) {
      const index = pairs.findIndex((pair) => pair.id === AvId.flags);
      const previous = index >= 0 ? Buffer.from(pairs[index]!.value).readUInt32LE(0) : 0;
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, (previous | AV_FLAG_MIC_PRESENT) >>> 0, true);
      pairs.splice(index >= 0 ? index : pairs.length, index >= 0 ? 1 : 0, { id: AvId.flags, value });
    }
    pairs.push({
      id: AvId.channelBindings,
      value: channelBindingsHash(connection.channelBindings),
    });
    pairs.push({ id: AvId.targetName, value: utf16le(`${spnService}/${connection.targetHostName}`) });
    return pairs;
  }
}
