/** WS-Management for WinRM: request builders, response parser, faults (PROTOCOL.md §1). Sans-IO. */
export { formatDuration, parseDuration } from './duration';
export {
  buildEnvelope,
  uuidUri,
  type RequestHeader,
  type WSManContext,
  type WSManOption,
  type WSManSelector,
} from './envelope';
export { MalformedResponseError, MalformedXmlError, RelatesToMismatchError } from './errors';
export {
  WSManFault,
  WSManFaultCode,
  hasFaultCode,
  isOperationTimeout,
  type ProviderFault,
  type WSManFaultDetails,
} from './fault';
export { Namespace } from './namespaces';
export { outcomeOf, type Outcome } from './outcome';
export {
  buildCommand,
  buildConnect,
  buildCreate,
  buildDelete,
  buildDisconnect,
  buildEnumerate,
  buildGet,
  buildPull,
  buildReceive,
  buildReconnect,
  buildSend,
  buildSignal,
  powerShellPayload,
  sendPayloadCapacity,
  shellSelectors,
  type AnyWSManRequest,
  type CommandParameters,
  type ConnectParameters,
  type CreateParameters,
  type DisconnectParameters,
  type EnumerateParameters,
  type GetParameters,
  type PullParameters,
  type ReceiveParameters,
  type ResourceTarget,
  type SendParameters,
  type ShellDefinition,
  type SignalParameters,
  type WSManRequest,
} from './requests';
export { readShellInfo, readWinRMConfig, type ShellInfo, type WinRMConfig } from './resources';
export {
  parseResponse,
  type CommandResult,
  type ConnectResult,
  type CreateResult,
  type EmptyResult,
  type EnumerationResult,
  type GetResult,
  type ReceiveResult,
  type ReceivedCommandState,
  type ReceivedStream,
  type ResultOf,
} from './response';
export {
  ANONYMOUS_ADDRESS,
  Action,
  CommandStateUri,
  FaultAction,
  OptionName,
  ResourceUri,
  SELECTOR_FILTER_DIALECT,
  SignalCode,
  powerShellResourceUri,
  responseActionOf,
  type CommandState,
  type WSManOperation,
} from './uris';
export {
  attributeValue,
  childElement,
  childElements,
  resolveQName,
  xmlAttribute,
  xmlElement,
  type QualifiedName,
  type XmlAttribute,
  type XmlElement,
} from './xml-element';
export { defaultXmlLimits, parseXml, type XmlLimits } from './xml-reader';
export { serializeXml } from './xml-writer';
