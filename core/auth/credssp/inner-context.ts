import type { MessageSealing } from '../mechanism';
import { SpnegoContext } from '../spnego/context';
import type { GssMechanism } from '../spnego/gss-mechanism';

/**
 * The security context CredSSP authenticates with inside its TLS session (MS-CSSP 3.1.5: SPNEGO, or a
 * bare Kerberos or NTLM mechanism), and whose wrap protects pubKeyAuth and the delegated credentials.
 * A bare GssMechanism (NtlmInitiator, KerberosInitiator) already is one; `spnegoInnerContext` makes
 * SPNEGO one.
 */
export interface CredSspInnerContext {
  /** For messages: 'NTLM', 'Negotiate'. */
  readonly name: string;
  readonly complete: boolean;
  /** Consumes the server's negoToken (undefined for the first step) and returns the next one, if any. */
  step(token: Uint8Array | undefined): Uint8Array | undefined;
  /**
   * GSS wrap/unwrap, present as soon as the authenticating mechanism can protect data. For SPNEGO that is
   * before SPNEGO itself completes: NTLM's AUTHENTICATE travels with pubKeyAuth, and the server's
   * mechListMIC comes back with its own pubKeyAuth (PROTOCOL.md §5.4).
   */
  readonly sealing: MessageSealing | undefined;
}

/**
 * A GSS wrap token is divided after its 16-byte token header before `MessageSealing.unwrap`: that is NTLM's
 * signature and RFC 4121's token header, and both mechanisms' unwrap read the rest as one run of bytes.
 */
export const GSS_TOKEN_HEADER_BYTES = 16;

/** GSS_Wrap: the token is the header followed by the data, as the peer's GSS_Unwrap reads it. */
export function gssWrap(sealing: MessageSealing, plaintext: Uint8Array): Uint8Array {
  const { header, data } = sealing.wrap(plaintext);
  const token = new Uint8Array(header.length + data.length);
  token.set(header);
  token.set(data, header.length);
  return token;
}

export function gssUnwrap(sealing: MessageSealing, token: Uint8Array): Uint8Array {
  return sealing.unwrap(token.subarray(0, GSS_TOKEN_HEADER_BYTES), token.subarray(GSS_TOKEN_HEADER_BYTES));
}

/** SPNEGO over `mechanisms` (most preferred first), as CredSSP's inner context. */
export function spnegoInnerContext(mechanisms: readonly GssMechanism[]): CredSspInnerContext {
  const spnego = new SpnegoContext(mechanisms);
  return {
    name: 'Negotiate',
    get complete() {
      return spnego.complete;
    },
    step: (token) => spnego.step(token).token,
    // Only the mechanism SPNEGO selected is ever stepped, so the complete one is the selected one.
    get sealing() {
      return mechanisms.find((mechanism) => mechanism.complete)?.sealing;
    },
  };
}
