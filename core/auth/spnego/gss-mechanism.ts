import type { AuthenticationError } from '../authentication-error';
import type { MessageSealing } from '../mechanism';

/**
 * What SPNEGO needs of a mechanism it negotiates (NTLM now, Kerberos later): GSS-style token steps,
 * the mechListMIC operations, and sealing once complete. A mechanism is constructed ready to produce
 * its first token: anything that needs IO (a Kerberos ticket from the KDC) happens before, in main/,
 * and a mechanism that cannot be readied is simply not offered (that is the NTLM fallback).
 */
export interface GssMechanism {
  /** Dotted OID offered in mechTypes. */
  readonly oid: string;
  /** For messages: 'NTLM', 'Kerberos'. */
  readonly name: string;
  /** The user as typed. */
  readonly principal: string;
  readonly complete: boolean;
  /** Consumes the acceptor's token (undefined for the first) and returns the next one to send, if any. */
  step(token: Uint8Array | undefined): Uint8Array | undefined;
  /** Whether this mechanism obliges SPNEGO to exchange mechListMICs (NTLM: its AUTHENTICATE carried a MIC). */
  readonly requiresMechListMic: boolean;
  /** The mechListMIC over the DER MechTypeList as sent, with any state change SPNEGO requires after it. */
  mechListMic(mechTypeList: Uint8Array): Uint8Array;
  /** Verifies the acceptor's mechListMIC; throws a ProtocolError when it does not verify. */
  verifyMechListMic(mechTypeList: Uint8Array, mic: Uint8Array): void;
  readonly sealing: MessageSealing | undefined;
  /** The error for a refusal of this mechanism's final token, naming the mechanism as `mechanism`. */
  credentialsRejected(mechanism: string): AuthenticationError;
}
