/**
 * The CredSSP client exchange (MS-CSSP 3.1.5; PROTOCOL.md §5.3–5.4) over the plaintext of its TLS session:
 * DER TSRequests in, DER TSRequests out. The TLS session itself is the caller's (main/credssp runs Node's
 * TLS); it hands over the server certificate's public key once the handshake is done.
 *
 *   start            → TSRequest{negoTokens: first inner token}
 *   receive (server) → TSRequest{negoTokens} while the inner context authenticates; with its last token
 *                      (or alone, once it completed) go clientNonce (v5+) and pubKeyAuth
 *   receive (server) → the server's pubKeyAuth checked, then TSRequest{authInfo: wrapped TSCredentials}: done
 *
 * The negotiated version is min(6, the server's version), fixed by the server's first TSRequest; one below
 * `minimumVersion` ends the exchange before any binding or credential is sent.
 */

import { InvalidStateError, UsageError } from '../../errors';
import { StateMachine, type TransitionTable } from '../../state-machine';
import { AuthenticationError } from '../authentication-error';
import { parseNtlmUserName, type NtlmUserName } from '../ntlm/user-name';
import { CredSspMessageError, CredSspRefusedError, CredSspVersionError } from './errors';
import { gssUnwrap, gssWrap, type CredSspInnerContext } from './inner-context';
import {
  CLIENT_NONCE_BYTES,
  NONCE_BINDING_VERSION,
  clientBindingValue,
  verifyServerBinding,
} from './public-key-binding';
import { decodeTsRequest, encodePasswordCredentials, encodeTsRequest, type TsRequest } from './ts-request';

/** The highest MS-CSSP version this client speaks, and sends in every TSRequest. */
export const CREDSSP_VERSION = 6;
const OLDEST_VERSION = 2;

/** Checks a minimum-version option (2 to 6) and returns it, or 2 (every version) when absent. */
export function minimumCredSspVersion(minimumVersion: number | undefined): number {
  const version = minimumVersion ?? OLDEST_VERSION;
  if (!Number.isInteger(version) || version < OLDEST_VERSION || version > CREDSSP_VERSION) {
    throw new UsageError(
      `the minimum CredSSP version must be an integer from ${OLDEST_VERSION} to ${CREDSSP_VERSION}, not ${version}`,
    );
  }
  return version;
}

export interface CredSspClientOptions {
  /** The password delegated to the server: `DOMAIN\user`, `user@realm` or `user`. */
  readonly credentials: { readonly userName: string; readonly password: string };
  readonly inner: CredSspInnerContext;
  /** Cryptographically strong random bytes (the client nonce). */
  readonly randomBytes: (length: number) => Uint8Array;
  /** Refuse servers below this version; 2 (every version) by default, 5 requires the CVE-2018-0886 fix. */
  readonly minimumVersion?: number;
}

export interface CredSspOutput {
  /** DER TSRequest for the TLS session. */
  readonly request: Uint8Array;
  /** Whether it carries the delegated credentials: the last client message of the exchange. */
  readonly last: boolean;
}

type State = 'initial' | 'authenticating' | 'binding-sent' | 'complete' | 'failed';
type Action = 'start' | 'receive' | 'authenticate' | 'bind' | 'delegate' | 'fail';

const transitions: TransitionTable<State, Action> = {
  start: { from: ['initial'], to: 'authenticating' },
  receive: { from: ['authenticating', 'binding-sent'], to: undefined },
  authenticate: { from: ['authenticating'], to: undefined },
  bind: { from: ['authenticating'], to: 'binding-sent' },
  delegate: { from: ['binding-sent'], to: 'complete' },
  fail: { from: ['initial', 'authenticating', 'binding-sent'], to: 'failed' },
};

export class CredSspClient {
  readonly #options: CredSspClientOptions;
  readonly #user: NtlmUserName;
  readonly #minimumVersion: number;
  readonly #machine = new StateMachine<State, Action>('CredSSP client', transitions, 'initial');
  #publicKey: Uint8Array | undefined;
  #version: number | undefined;
  #nonce: Uint8Array | undefined;

  constructor(options: CredSspClientOptions) {
    this.#minimumVersion = minimumCredSspVersion(options.minimumVersion);
    this.#options = options;
    this.#user = parseNtlmUserName(options.credentials.userName);
  }

  get state(): State {
    return this.#machine.state;
  }

  get complete(): boolean {
    return this.#machine.state === 'complete';
  }

  /** min(6, the server's version), once the server has answered. */
  get negotiatedVersion(): number | undefined {
    return this.#version;
  }

  /** The first TSRequest, once the TLS handshake is done. `serverPublicKey`: see `subjectPublicKey`. */
  start(serverPublicKey: Uint8Array): Uint8Array {
    this.#require('start');
    return this.#guarded(() => {
      const token = this.#options.inner.step(undefined);
      if (token === undefined) throw new UsageError(`the inner ${this.#options.inner.name} context has no first token`);
      this.#publicKey = serverPublicKey;
      this.#machine.transition('start');
      return encodeTsRequest({ version: CREDSSP_VERSION, negoTokens: [token] });
    });
  }

  /** Consumes the server's TSRequest (DER) and returns the client's next one. */
  receive(serverRequest: Uint8Array): CredSspOutput {
    const state = this.#machine.transition('receive');
    return this.#guarded(() => {
      const request = decodeTsRequest(serverRequest);
      const refusal = this.#refusal(request.errorCode);
      if (refusal !== undefined) throw refusal;
      this.#negotiate(request.version);
      return state === 'authenticating' ? this.#authenticate(request) : this.#delegate(request);
    });
  }

  /**
   * The error for an HTTP 401 that ends the exchange, in any state: the server's last TSRequest (DER), when it
   * sent one, names the reason in its errorCode; without one, the credentials were refused.
   */
  rejection(serverRequest: Uint8Array | undefined): AuthenticationError {
    const errorCode = serverRequest === undefined ? undefined : decodeTsRequest(serverRequest).errorCode;
    return this.#refusal(errorCode) ?? AuthenticationError.credentialsRejected(this.#user.display, 'CredSSP');
  }

  #authenticate(request: TsRequest): CredSspOutput {
    const { inner } = this.#options;
    const [serverToken] = request.negoTokens;
    if (serverToken === undefined) {
      throw new CredSspMessageError('the server answered without a negoToken while the inner authentication runs');
    }
    const token = inner.step(serverToken);
    const sealing = inner.sealing;
    if (sealing === undefined) {
      if (token === undefined) {
        throw new CredSspMessageError(`the inner ${inner.name} authentication stalled: nothing to send, not complete`);
      }
      this.#machine.transition('authenticate');
      return { request: encodeTsRequest({ version: CREDSSP_VERSION, negoTokens: [token] }), last: false };
    }
    const version = this.#version!;
    this.#nonce = version >= NONCE_BINDING_VERSION ? this.#options.randomBytes(CLIENT_NONCE_BYTES) : undefined;
    if (this.#nonce !== undefined && this.#nonce.length !== CLIENT_NONCE_BYTES) {
      throw new UsageError(`randomBytes returned ${this.#nonce.length} bytes, not ${CLIENT_NONCE_BYTES}`);
    }
    const pubKeyAuth = gssWrap(sealing, clientBindingValue(version, this.#publicKey!, this.#nonce));
    this.#machine.transition('bind');
    const binding = encodeTsRequest({
      version: CREDSSP_VERSION,
      negoTokens: token === undefined ? [] : [token],
      pubKeyAuth,
      ...(this.#nonce && { clientNonce: this.#nonce }),
    });
    return { request: binding, last: false };
  }

  #delegate(request: TsRequest): CredSspOutput {
    const { inner } = this.#options;
    // SPNEGO's last word (accept-completed with the server's mechListMIC) comes first: it moves the inner
    // context's sequence state to where the server's pubKeyAuth was wrapped.
    const [serverToken] = request.negoTokens;
    if (inner.complete) {
      if (serverToken !== undefined) {
        throw new CredSspMessageError(`the server sent a negoToken after ${inner.name} authentication completed`);
      }
    } else if (inner.step(serverToken) !== undefined || !inner.complete) {
      throw new CredSspMessageError(`the inner ${inner.name} authentication did not complete with pubKeyAuth`);
    }
    if (request.pubKeyAuth === undefined) {
      throw new CredSspMessageError('the server answered the public-key binding without its own pubKeyAuth');
    }
    const sealing = inner.sealing!;
    verifyServerBinding(this.#version!, this.#publicKey!, this.#nonce, gssUnwrap(sealing, request.pubKeyAuth));
    const credentials = encodePasswordCredentials({
      domainName: this.#user.domain,
      userName: this.#user.user,
      password: this.#options.credentials.password,
    });
    this.#machine.transition('delegate');
    return {
      request: encodeTsRequest({ version: CREDSSP_VERSION, negoTokens: [], authInfo: gssWrap(sealing, credentials) }),
      last: true,
    };
  }

  /** The error an errorCode reports; none for an absent or zero (STATUS_SUCCESS) errorCode. */
  #refusal(errorCode: number | undefined): CredSspRefusedError | undefined {
    return errorCode === undefined || errorCode === 0
      ? undefined
      : new CredSspRefusedError(this.#user.display, errorCode);
  }

  /** The server's first TSRequest fixes the version; no binding or credential is sent below the minimum. */
  #negotiate(serverVersion: number): void {
    if (this.#version !== undefined) return;
    const version = Math.min(CREDSSP_VERSION, serverVersion);
    if (version < this.#minimumVersion) {
      throw new CredSspVersionError(this.#user.display, serverVersion, this.#minimumVersion);
    }
    this.#version = version;
  }

  #require(action: Action): void {
    if (!this.#machine.can(action)) {
      const { name, state } = this.#machine;
      throw new InvalidStateError(name, action, state, this.#machine.allowedStates(action));
    }
  }

  #guarded<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (this.#machine.can('fail')) this.#machine.transition('fail');
      throw error;
    }
  }
}
