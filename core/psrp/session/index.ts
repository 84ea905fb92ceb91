/** PSRP runspace pool and pipeline machines, host calls and the SecureString key exchange. Sans-IO. */
export type {
  InputStream,
  PayloadCarrier,
  PipelineState,
  PoolOutgoing,
  RunspacePoolEvent,
  RunspacePoolState,
  RunspaceRequest,
} from './events';
export {
  decodeHostCall,
  hostMethodName,
  hostMethodReturns,
  VOID_CALL_ID,
  type BufferCell,
  type ChoiceDescription,
  type FieldDescription,
  type HostAnswer,
  type HostCall,
  type HostCallOf,
  type HostMethodName,
  type HostMethods,
  type KeyInfo,
  type Rectangle,
} from './host';
export {
  ApartmentState,
  CommandTypes,
  ConsoleColor,
  enumObject,
  enumText,
  PipelineResultTypes,
  PSThreadOptions,
  RemoteStreamOptions,
  type EnumType,
} from './messages/enums';
export {
  hostWithUI,
  NO_HOST,
  type Coordinates,
  type HostDefaultData,
  type HostInfo,
  type Size,
} from './messages/host-info';
export {
  scriptPipeline,
  type CommandArgument,
  type CommandSpec,
  type MergeableStream,
  type PipelineSpec,
} from './messages/pipeline';
export {
  CLIENT_CAPABILITY,
  PROTOCOL_2_2,
  PROTOCOL_2_3,
  PROTOCOL_2_4,
  type CommandMetadataQuery,
  type SessionCapability,
  type UserEventInfo,
} from './messages/pool';
export { MessageBodyError } from './messages/read';
export {
  textOf,
  type ErrorRecordInfo,
  type InformationalRecordInfo,
  type InformationRecordInfo,
} from './messages/records';
export { Credential, SecureText, type OutgoingValue } from './messages/values';
export { PIPELINE_TRANSITIONS, type Pipeline } from './pipeline';
export {
  DEFAULT_ENVELOPE_OVERHEAD,
  RUNSPACE_POOL_TRANSITIONS,
  RunspacePool,
  type RunspacePoolOptions,
} from './runspace-pool';
export { SessionKeyError } from './session-key';
