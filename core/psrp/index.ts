export * from './clixml';
export {
  DEFAULT_DEFRAGMENTER_LIMITS,
  Defragmenter,
  type DefragmenterLimits,
  type ReassembledMessage,
} from './defragmenter';
export {
  INITIAL_MAX_ENVELOPE_SIZE,
  maxIncomingBlobBytes,
  maxPayloadBytes,
  PROTOCOL_2_2_MAX_ENVELOPE_SIZE,
} from './envelope-budget';
export {
  decodeFragmentHeader,
  encodeFragment,
  FRAGMENT_END,
  FRAGMENT_HEADER_BYTES,
  FRAGMENT_START,
  FragmentError,
  Fragmenter,
  type FragmentHeader,
} from './fragment';
export { guidFromBytes, guidToBytes, guidToUpper, NIL_GUID, parseGuid, randomGuid } from './guid';
export {
  decodeMessage,
  Destination,
  encodeMessage,
  MESSAGE_HEADER_BYTES,
  MessageError,
  MessageType,
  messageTypeName,
  type PsrpMessage,
} from './message';
export * from './session';
