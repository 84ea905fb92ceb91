/**
 * Kerberos in pure TypeScript (PROTOCOL.md §6): the sans-IO half. main/kerberos drives the KDC exchanges
 * over TCP and reads the user's files; SPNEGO takes KerberosInitiator as a GssMechanism.
 */
export { formatPrincipal, samePrincipal, type Principal } from './asn1';
export {
  CredentialCacheFormatError,
  findTicketGrantingTicket,
  parseCredentialCache,
  type CredentialCache,
} from './ccache';
export { CfxSecurityContext, type CfxOptions } from './cfx';
export type { KerberosCredential } from './credentials';
export { EncryptionType, type KerberosKey } from './crypto/enctypes';
export { describeErrorCode, KerberosErrorCode } from './error-codes';
export {
  KerberosAuthenticationError,
  KerberosIntegrityError,
  KerberosMessageError,
  type KerberosFailure,
} from './errors';
export { kdcUnreachableError } from './failures';
export {
  KERBEROS_ENCRYPTED_PROTOCOL,
  KerberosInitiator,
  SPNEGO_ENCRYPTED_PROTOCOL,
  type KerberosInitiatorOptions,
} from './gss-initiator';
export { KERBEROS_OID, MS_KERBEROS_OID } from './gss-token';
export { KerberosAuthContext } from './kerberos-context';
export { Krb5ConfSyntaxError, mergeKrb5Conf, parseKrb5Conf, type Krb5Conf } from './krb5-conf';
export { DEFAULT_SERVICE_CLASSES, parseUserPrincipal, servicePrincipals } from './principals';
export {
  TicketAcquisition,
  type KdcMessage,
  type KerberosSecret,
  type TicketAcquisitionOptions,
  type TicketAcquisitionResult,
  type TicketAcquisitionStep,
} from './ticket-acquisition';
