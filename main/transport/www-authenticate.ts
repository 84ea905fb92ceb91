import { Buffer } from 'node:buffer';
import { ProtocolError } from '../../core/errors';

/**
 * WWW-Authenticate (RFC 9110 §11.6.1): a comma-separated list of challenges, each a scheme with either a
 * token68 (the base64 tokens of Negotiate, Kerberos, CredSSP) or auth-params (`Basic realm="WSMAN"`), possibly
 * spread over several header lines. Commas separate both challenges and a challenge's parameters, so a
 * comma is followed by a parameter when `name=` comes next, and by a new challenge otherwise.
 */
export interface AuthChallenge {
  /** As the server wrote it; compare case-insensitively. */
  readonly scheme: string;
  readonly token68: string | undefined;
  /** Parameter names in lower case. */
  readonly params: ReadonlyMap<string, string>;
}

/** The server's WWW-Authenticate value is not a challenge list, or its token is not base64. */
export class MalformedChallengeError extends ProtocolError {
  override readonly name = 'MalformedChallengeError';
}

const AUTH_PARAM =
  /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*(?=,|$)/;
const TOKEN68 = /^([A-Za-z0-9\-._~+/]+=*)[ \t]*(?=,|$)/;
/** Lenient: any run without space or comma, so the certificate profile's URI scheme reads too. */
const SCHEME = /^[^\s,]+/;

/** Parses every field line of WWW-Authenticate into one list of challenges, in order. */
export function parseWwwAuthenticate(values: readonly string[]): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    let rest = value;
    const skipSeparators = () => {
      rest = rest.replace(/^[\s,]+/, '');
    };
    skipSeparators();
    while (rest !== '') {
      const scheme = SCHEME.exec(rest)![0];
      rest = rest.slice(scheme.length).replace(/^[ \t]+/, '');
      let token68: string | undefined;
      const params = new Map<string, string>();
      const param = AUTH_PARAM.exec(rest);
      if (param !== null) {
        for (let next: RegExpExecArray | null = param; next !== null; next = AUTH_PARAM.exec(rest)) {
          params.set(next[1]!.toLowerCase(), unquote(next[2]!));
          rest = rest.slice(next[0].length);
          // A following `, name=value` continues this challenge's parameters.
          const continuation = /^,[ \t]*/.exec(rest);
          if (continuation === null || AUTH_PARAM.exec(rest.slice(continuation[0].length)) === null) break;
          rest = rest.slice(continuation[0].length);
        }
      } else {
        const token = TOKEN68.exec(rest);
        if (token !== null) {
          token68 = token[1];
          rest = rest.slice(token[0].length);
        }
      }
      if (rest !== '' && !rest.startsWith(',')) {
        throw new MalformedChallengeError(
          `unreadable WWW-Authenticate challenge: ${JSON.stringify(value.slice(0, 120))}`,
        );
      }
      challenges.push({ scheme, token68, params });
      skipSeparators();
    }
  }
  return challenges;
}

/** The challenge for `scheme` (case-insensitive), if the server offered it. */
export function findChallenge(challenges: readonly AuthChallenge[], scheme: string): AuthChallenge | undefined {
  const wanted = scheme.toLowerCase();
  return challenges.find((challenge) => challenge.scheme.toLowerCase() === wanted);
}

/** The decoded token68 of a challenge; undefined when it carries none (e.g. the bare `Negotiate` offer). */
export function challengeToken(challenge: AuthChallenge | undefined): Uint8Array | undefined {
  const token = challenge?.token68;
  if (token === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token) || token.length % 4 === 1) {
    throw new MalformedChallengeError(`the ${challenge!.scheme} token is not base64`);
  }
  return new Uint8Array(Buffer.from(token, 'base64'));
}

function unquote(value: string): string {
  return value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}
