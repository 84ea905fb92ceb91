import { UsageError } from '../errors';
import type { AuthenticationError } from './authentication-error';
import type { AuthContext, AuthStepResult, HttpAuthScheme, MessageSealing } from './mechanism';
import type { GssMechanism } from './spnego/gss-mechanism';

/**
 * A GSS mechanism's bare tokens carried in an HTTP scheme without SPNEGO around them: raw NTLM in
 * `Negotiate`, raw Kerberos in `Kerberos` (PROTOCOL.md §4.1, §6.1). Authentication is bound to the
 * connection; the mechanism decides when it is complete and what it seals with.
 */
export class RawGssContext<Mechanism extends GssMechanism = GssMechanism> implements AuthContext {
  readonly connectionBound = true;

  constructor(
    protected readonly mechanism: Mechanism,
    readonly httpScheme: HttpAuthScheme,
  ) {}

  get mechanismName(): string {
    return this.mechanism.name;
  }

  get complete(): boolean {
    return this.mechanism.complete;
  }

  get sealing(): MessageSealing | undefined {
    return this.mechanism.sealing;
  }

  /** The user as typed, for messages. */
  get principal(): string {
    return this.mechanism.principal;
  }

  step(serverToken: Uint8Array | undefined): AuthStepResult {
    const token = this.mechanism.step(serverToken);
    if (this.mechanism.complete) return { kind: 'complete', token };
    if (token === undefined) throw new UsageError(`${this.mechanismName} is incomplete but has no token to send`);
    return { kind: 'continue', token };
  }

  /** What to throw when the server answers our last leg with 401: its credentials check failed. */
  credentialsRejected(): AuthenticationError {
    return this.mechanism.credentialsRejected(this.mechanismName);
  }
}
