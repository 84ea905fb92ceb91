/**
 * The SPNEGO initiator for the HTTP `Negotiate` scheme (RFC 4178, MS-SPNG; PROTOCOL.md §6.2–6.3).
 *
 * The client offers its mechanisms, most preferred first, and sends the first one's token
 * optimistically in NegTokenInit. The server's first NegTokenResp names the mechanism it chose
 * (supportedMech); if that is not the optimistic one, the chosen mechanism starts from its first
 * token. Once the mechanism completes, both sides exchange a mechListMIC over the DER MechTypeList
 * as sent when the mechanism requires it (NTLM with a MIC), when the server asks (request-mic), or
 * when the chosen mechanism was not the preferred one (RFC 4178 §5); it protects the negotiation
 * from downgrade. A server's mechListMIC is always verified.
 *
 * After the client's last token the server answers 200 with its final NegTokenResp (accept-completed,
 * its mechListMIC or Kerberos AP-REP): the caller feeds that token (or undefined when the 200 has
 * none) to `step`, which completes the context.
 */

import { InvalidStateError, ProtocolError, UsageError } from '../../errors';
import { StateMachine, type TransitionTable } from '../../state-machine';
import { AuthenticationError } from '../authentication-error';
import type { AuthContext, AuthStepResult, HttpAuthScheme, MessageSealing } from '../mechanism';
import type { GssMechanism } from './gss-mechanism';
import {
  decodeNegotiationToken,
  encodeInitialNegTokenInit,
  encodeMechTypeList,
  encodeNegTokenResp,
  NegState,
  type NegTokenResp,
} from './tokens';

type State = 'initial' | 'negotiating' | 'complete' | 'failed';
type Action = 'start' | 'respond' | 'finish' | 'fail';

const transitions: TransitionTable<State, Action> = {
  start: { from: ['initial'], to: 'negotiating' },
  respond: { from: ['negotiating'], to: undefined },
  finish: { from: ['negotiating'], to: 'complete' },
  fail: { from: ['initial', 'negotiating'], to: 'failed' },
};

export class SpnegoContext implements AuthContext {
  readonly mechanismName = 'Negotiate';
  readonly httpScheme: HttpAuthScheme = 'Negotiate';
  readonly connectionBound = true;
  readonly #mechanisms: readonly GssMechanism[];
  readonly #mechTypeList: Uint8Array;
  readonly #machine = new StateMachine<State, Action>('SPNEGO initiator', transitions, 'initial');
  /** The optimistic mechanism until the server names its choice, then that one. */
  #selected: GssMechanism;
  #agreed = false;
  #micSent = false;
  #micVerified = false;

  /** `mechanisms`: most preferred first, distinct OIDs, each ready to produce its first token. */
  /**
   * @param notOffered why a preferred mechanism was left out (Kerberos without a ticket): the cause of a
   *   rejection by the one offered instead, so the user learns why NTLM was used.
   */
  constructor(
    mechanisms: readonly GssMechanism[],
    private readonly notOffered?: Error,
  ) {
    const [preferred] = mechanisms;
    if (preferred === undefined) throw new UsageError('SPNEGO needs at least one mechanism to offer');
    if (new Set(mechanisms.map((mechanism) => mechanism.oid)).size !== mechanisms.length) {
      throw new UsageError('SPNEGO mechanisms must have distinct OIDs');
    }
    this.#mechanisms = mechanisms;
    this.#selected = preferred;
    this.#mechTypeList = encodeMechTypeList(mechanisms.map((mechanism) => mechanism.oid));
  }

  get complete(): boolean {
    return this.#machine.state === 'complete';
  }

  get sealing(): MessageSealing | undefined {
    return this.complete ? this.#selected.sealing : undefined;
  }

  /** The mechanism the server chose (the preferred one until it answers). */
  get selectedMechanism(): string {
    return this.#selected.name;
  }

  /** The user as typed, for messages. */
  get principal(): string {
    return this.#selected.principal;
  }

  step(serverToken: Uint8Array | undefined): AuthStepResult {
    const { state } = this.#machine;
    if (state === 'initial') {
      if (serverToken !== undefined)
        throw new UsageError('the SPNEGO initiator speaks first: its first step takes no token');
      return this.#guarded(() => {
        const mechToken = this.#selected.step(undefined);
        this.#machine.transition('start');
        return { kind: 'continue', token: encodeInitialNegTokenInit(this.#mechTypeList, mechToken) };
      });
    }
    if (!this.#machine.can('respond')) {
      throw new InvalidStateError(this.#machine.name, 'respond', state, this.#machine.allowedStates('respond'));
    }
    return this.#guarded(() =>
      serverToken === undefined ? this.#finishWithoutToken() : this.#respond(decodeNegTokenResp(serverToken)),
    );
  }

  /** What to throw when the server refuses the final leg (HTTP 401): it rejected the credentials. */
  credentialsRejected(): AuthenticationError {
    const rejected = this.#selected.credentialsRejected(`${this.#selected.name} (Negotiate)`);
    if (this.notOffered !== undefined && rejected.cause === undefined) rejected.cause = this.notOffered;
    return rejected;
  }

  #guarded(run: () => AuthStepResult): AuthStepResult {
    try {
      return run();
    } catch (error) {
      if (this.#machine.can('fail')) this.#machine.transition('fail');
      throw error;
    }
  }

  #respond(response: NegTokenResp): AuthStepResult {
    if (response.negState === NegState.reject) throw this.#rejected();
    const switched = this.#agree(response.supportedMech);
    const mechanism = this.#selected;
    let token: Uint8Array | undefined;
    if (response.responseToken !== undefined) {
      if (mechanism.complete || switched) {
        throw new ProtocolError(`the server sent a ${mechanism.name} token the mechanism does not expect`);
      }
      token = mechanism.step(response.responseToken);
    } else if (switched) {
      token = mechanism.step(undefined);
    }

    let mechListMic: Uint8Array | undefined;
    if (response.mechListMic !== undefined) {
      if (!mechanism.complete) throw new ProtocolError('the server sent a mechListMIC before authentication completed');
      mechanism.verifyMechListMic(this.#mechTypeList, response.mechListMic);
      this.#micVerified = true;
    }
    const micRequired =
      response.mechListMic !== undefined ||
      response.negState === NegState.requestMic ||
      mechanism.requiresMechListMic ||
      mechanism !== this.#mechanisms[0];
    if (mechanism.complete && micRequired && !this.#micSent) {
      mechListMic = mechanism.mechListMic(this.#mechTypeList);
      this.#micSent = true;
    }

    const reply =
      token === undefined && mechListMic === undefined
        ? undefined
        : encodeNegTokenResp({ negState: undefined, supportedMech: undefined, responseToken: token, mechListMic });
    if (response.negState === NegState.acceptCompleted) {
      if (!mechanism.complete) {
        throw new ProtocolError(`the server completed Negotiate before ${mechanism.name} authentication finished`);
      }
      this.#checkServerMic();
      this.#machine.transition('finish');
      return { kind: 'complete', token: reply };
    }
    if (reply === undefined)
      throw new ProtocolError('the server asked for another Negotiate leg with nothing to answer');
    this.#machine.transition('respond');
    return { kind: 'continue', token: reply };
  }

  /** A final 200 without a token: acceptable only when nothing from the server is outstanding. */
  #finishWithoutToken(): AuthStepResult {
    if (!this.#selected.complete) {
      throw new ProtocolError(`the server ended Negotiate before ${this.#selected.name} authentication finished`);
    }
    this.#checkServerMic();
    this.#machine.transition('finish');
    return { kind: 'complete', token: undefined };
  }

  /** Once we sent a mechListMIC the server must return its own (RFC 4178 §5): no silent downgrade. */
  #checkServerMic(): void {
    if (this.#micSent && !this.#micVerified) {
      throw new ProtocolError('the server completed Negotiate without the mechListMIC that protects the negotiation');
    }
  }

  /** Records the server's choice on its first answer; returns whether it differs from the optimistic mechanism. */
  #agree(supportedMech: string | undefined): boolean {
    if (this.#agreed) {
      if (supportedMech !== undefined && supportedMech !== this.#selected.oid) {
        throw new ProtocolError(`the server changed the Negotiate mechanism to ${supportedMech} mid-exchange`);
      }
      return false;
    }
    if (supportedMech === undefined) throw new ProtocolError("the server's first Negotiate answer names no mechanism");
    const chosen = this.#mechanisms.find((mechanism) => mechanism.oid === supportedMech);
    if (chosen === undefined)
      throw new ProtocolError(`the server chose mechanism ${supportedMech}, which was not offered`);
    this.#agreed = true;
    const switched = chosen !== this.#selected;
    this.#selected = chosen;
    return switched;
  }

  #rejected(): AuthenticationError {
    if (this.#agreed && this.#selected.complete) return this.credentialsRejected();
    const offered = this.#mechanisms.map((mechanism) => mechanism.name).join(', ');
    return new AuthenticationError(
      'mechanism-rejected',
      'Negotiate',
      this.#selected.principal,
      `the server accepts none of the Negotiate mechanisms offered for ${this.#selected.principal} (${offered})`,
    );
  }
}

function decodeNegTokenResp(bytes: Uint8Array): NegTokenResp {
  const token = decodeNegotiationToken(bytes);
  if (token.type !== 'resp') throw new ProtocolError('the server answered Negotiate with a NegTokenInit');
  return token;
}
