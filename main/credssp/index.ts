/** CredSSP (MS-CSSP) over Node's TLS engine: the IO side of core/auth/credssp, as a transport AuthMechanism. */
export { CREDSSP_CHUNK_BYTES, CREDSSP_ENCRYPTED_PROTOCOL, CredSspAuthContext } from './credssp-context';
export { credSspMechanism, type CredSspMechanismOptions } from './credssp-mechanism';
export { CredSspTlsError, CredSspTlsSession, type CredSspTlsOptions, type TlsOutput } from './tls-session';
