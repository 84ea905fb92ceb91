import { ProtocolError, UsageError } from '../errors';
import type { AuthContext, AuthStepResult, HttpAuthScheme } from './mechanism';

export interface BasicCredentials {
  /** A local account (`user` or `HOST\user`); WinRM's Basic accepts no domain accounts. */
  readonly user: string;
  readonly password: string;
}

/**
 * HTTP Basic (RFC 7617, PROTOCOL.md §7): one step that yields `user:password` in UTF-8, which the transport
 * sends base64-encoded on every request. It authenticates no connection and cannot seal messages, so over
 * plain HTTP both the password and every message travel in clear text: the transport allows that only
 * when the user asked for it.
 */
export class BasicAuthContext implements AuthContext {
  readonly mechanismName = 'Basic';
  readonly httpScheme: HttpAuthScheme = 'Basic';
  readonly connectionBound = false;
  readonly sealing = undefined;
  readonly #token: Uint8Array;
  #complete = false;

  constructor(credentials: BasicCredentials) {
    if (credentials.user.includes(':')) {
      throw new UsageError('a Basic user name cannot contain ":" (RFC 7617 separates it from the password with it)');
    }
    if ([...(credentials.user + credentials.password)].some((char) => char.charCodeAt(0) < 0x20 || char === '\x7f')) {
      throw new UsageError('Basic credentials cannot contain control characters (RFC 7617)');
    }
    this.#token = new TextEncoder().encode(`${credentials.user}:${credentials.password}`);
  }

  get complete(): boolean {
    return this.#complete;
  }

  step(serverToken: Uint8Array | undefined): AuthStepResult {
    if (this.#complete) throw new UsageError('Basic authentication is already complete');
    if (serverToken !== undefined) throw new ProtocolError('the server sent a token for Basic, which has none');
    this.#complete = true;
    return { kind: 'complete', token: this.#token };
  }
}
