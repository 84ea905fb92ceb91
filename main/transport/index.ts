/** The WinRM HTTP(S) transport: connection, authentication driving, message encryption and TLS trust. */
export {
  basicMechanism,
  certificateMechanism,
  CertificateAuthContext,
  type AuthMechanism,
  type TransportAuthContext,
  type TransportSealing,
} from './auth-mechanism';
export {
  normalizeFingerprint,
  parsePemCertificates,
  sha256Fingerprint,
  summarizeCertificate,
  type CertificateSummary,
} from './certificates';
export { verifyServerChain, type ChainVerification, type TrustProblem } from './chain-verification';
export { endPointHash, tlsServerEndPoint, type EndPointHash } from './channel-bindings';
export {
  ClientCertificateError,
  loadPemClientCertificate,
  loadPfxClientCertificate,
  type ClientCertificate,
  type PemClientCertificateInput,
} from './client-certificate';
export {
  AuthenticationError,
  ConnectError,
  ConnectionLostError,
  EncryptionRequiredError,
  HttpStatusError,
  ProxyError,
  ReadTimeoutError,
  TransportError,
  UntrustedCertificateError,
} from './errors';
export { directTcpConnector, type ConnectTarget, type TcpConnector, type TlsSettings } from './http-connection';
export { HttpHeaders, MalformedHttpResponseError } from './http-message';
export { httpProxyConnector } from './http-proxy';
export {
  StaticTrustStore,
  StoreTrustPolicy,
  describeTrustRequest,
  type PresentedChain,
  type StoreTrustPolicyOptions,
  type TrustAnswer,
  type TrustDecision,
  type TrustPolicy,
  type TrustRequest,
  type TrustStoreView,
} from './trust-policy';
export {
  DEFAULT_TIMEOUTS,
  SERVER_SAID,
  WinRMTransport,
  type ConnectionInfo,
  type EncryptionPolicy,
  type PostOptions,
  type ServerTrustOptions,
  type TransportStats,
  type TransportTimeouts,
  type WinRMResponse,
  type WinRMTransportOptions,
  verifyServerTrust,
} from './winrm-transport';
export { MalformedChallengeError, parseWwwAuthenticate, type AuthChallenge } from './www-authenticate';
