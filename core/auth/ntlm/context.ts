import type { AuthenticationError } from '../authentication-error';
import type { AuthContext, AuthStepResult, HttpAuthScheme, MessageSealing } from '../mechanism';
import { NtlmInitiator, type NtlmOptions } from './initiator';

/**
 * Raw NTLM in the HTTP `Negotiate` scheme (PROTOCOL.md §4.1): Windows accepts a bare NTLMSSP token
 * there and answers with a bare CHALLENGE, which spares SPNEGO's mechListMIC. Two legs: NEGOTIATE
 * (→ 401 with CHALLENGE), then AUTHENTICATE (→ 200); the first sealed message uses sequence number 0.
 */
export class NtlmContext implements AuthContext {
  readonly mechanismName = 'NTLM';
  readonly httpScheme: HttpAuthScheme = 'Negotiate';
  readonly connectionBound = true;
  readonly #initiator: NtlmInitiator;

  constructor(options: NtlmOptions) {
    this.#initiator = new NtlmInitiator(options);
  }

  get complete(): boolean {
    return this.#initiator.complete;
  }

  get sealing(): MessageSealing | undefined {
    return this.#initiator.sealing;
  }

  /** The user as typed, for messages. */
  get principal(): string {
    return this.#initiator.principal;
  }

  step(serverToken: Uint8Array | undefined): AuthStepResult {
    const token = this.#initiator.step(serverToken);
    return this.#initiator.complete ? { kind: 'complete', token } : { kind: 'continue', token };
  }

  /** What to throw when the server answers the AUTHENTICATE leg with 401: its credentials check failed. */
  credentialsRejected(): AuthenticationError {
    return this.#initiator.credentialsRejected();
  }
}
