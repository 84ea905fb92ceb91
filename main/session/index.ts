/** Session drivers: core's WinRS and PSRP machines run over the WinRM transport, and authentication selection. */
export {
  AUTH_METHODS,
  negotiateMechanism,
  ntlmMechanism,
  selectMechanism,
  type AuthEntropy,
  type AuthMethod,
  type AuthSelection,
  type AuthTarget,
  type GssMechanismFactory,
  type PasswordCredentials,
} from './auth-selection';
export type { FlowControlOptions } from './flow-control';
export {
  PowerShellOperationError,
  PowerShellSession,
  RemotePipeline,
  RunspacePoolBrokenError,
  type PipelineHandlers,
  type PipelineResult,
  type PowerShellConnectOptions,
  type PowerShellSessionOptions,
} from './powershell-session';
export { DEFAULT_MAX_ENVELOPE_SIZE, type SessionConnectionOptions } from './session-options';
export type { DisconnectedShell, ShellCommand } from './shell-enumeration';
export type { PostingTransport, TransportOpener } from './transport-lanes';
export {
  RemoteCommand,
  WinRSOperationError,
  WinRSSession,
  type CommandOptions,
  type OutputStreamName,
  type WinRSSessionOptions,
} from './winrs-session';
