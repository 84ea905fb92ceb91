/** CredSSP (MS-CSSP) client logic over the plaintext of its TLS session. Sans-IO: main/credssp runs the TLS. */
export {
  CREDSSP_VERSION,
  CredSspClient,
  minimumCredSspVersion,
  type CredSspClientOptions,
  type CredSspOutput,
} from './client';
export { CredSspBindingError, CredSspMessageError, CredSspRefusedError, CredSspVersionError } from './errors';
export {
  GSS_TOKEN_HEADER_BYTES,
  gssUnwrap,
  gssWrap,
  spnegoInnerContext,
  type CredSspInnerContext,
} from './inner-context';
export { describeNtStatus, formatStatus, type NtStatusDescription } from './ntstatus';
export {
  CLIENT_NONCE_BYTES,
  NONCE_BINDING_VERSION,
  clientBindingValue,
  serverBindingValue,
  subjectPublicKey,
  verifyServerBinding,
} from './public-key-binding';
export { tlsRecordProblem } from './tls-records';
export { tlsTrailerLength } from './trailer-length';
export {
  CredType,
  decodePasswordCreds,
  decodeTsCredentials,
  decodeTsRequest,
  encodePasswordCredentials,
  encodeTsCredentials,
  encodeTsRequest,
  type TsCredentials,
  type TsPasswordCreds,
  type TsRequest,
} from './ts-request';
