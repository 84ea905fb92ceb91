import { ProtocolError, UsageError } from '../errors';
import { guidFromBytes, guidToBytes } from './guid';

/**
 * PSRP messages (MS-PSRP 2.2.1): a 40-byte **little-endian** header and UTF-8 CLIXML.
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | Destination (uint32): 1 client, 2 server |
 * | 4 | 4 | MessageType (uint32) |
 * | 8 | 16 | RPID: runspace pool GUID, .NET `ToByteArray()` order |
 * | 24 | 16 | PID: pipeline GUID, all zero for pool-level messages |
 * | 40 | n | data: UTF-8 CLIXML; Windows prefixes a BOM, which decoding strips |
 */

export const MESSAGE_HEADER_BYTES = 40;

export const Destination = { Client: 1, Server: 2 } as const;
export type Destination = (typeof Destination)[keyof typeof Destination];

/** Every message type of MS-PSRP 2.2.1 (PROTOCOL.md §2.3). */
export const MessageType = {
  SessionCapability: 0x00010002,
  InitRunspacePool: 0x00010004,
  PublicKey: 0x00010005,
  EncryptedSessionKey: 0x00010006,
  PublicKeyRequest: 0x00010007,
  ConnectRunspacePool: 0x00010008,
  SetMaxRunspaces: 0x00021002,
  SetMinRunspaces: 0x00021003,
  RunspaceAvailability: 0x00021004,
  RunspacePoolState: 0x00021005,
  CreatePipeline: 0x00021006,
  GetAvailableRunspaces: 0x00021007,
  UserEvent: 0x00021008,
  ApplicationPrivateData: 0x00021009,
  GetCommandMetadata: 0x0002100a,
  RunspacePoolInitData: 0x0002100b,
  ResetRunspaceState: 0x0002100c,
  RunspacePoolHostCall: 0x00021100,
  RunspacePoolHostResponse: 0x00021101,
  PipelineInput: 0x00041002,
  EndOfPipelineInput: 0x00041003,
  PipelineOutput: 0x00041004,
  ErrorRecord: 0x00041005,
  PipelineState: 0x00041006,
  DebugRecord: 0x00041007,
  VerboseRecord: 0x00041008,
  WarningRecord: 0x00041009,
  ProgressRecord: 0x00041010,
  InformationRecord: 0x00041011,
  PipelineHostCall: 0x00041100,
  PipelineHostResponse: 0x00041101,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

const MESSAGE_TYPE_NAMES = new Map<number, keyof typeof MessageType>(
  Object.entries(MessageType).map(([name, value]) => [value, name as keyof typeof MessageType]),
);

function isMessageType(value: number): value is MessageType {
  return MESSAGE_TYPE_NAMES.has(value);
}

/** The name of a message type, for logs and errors. */
export function messageTypeName(type: MessageType): keyof typeof MessageType {
  const name = MESSAGE_TYPE_NAMES.get(type);
  if (name === undefined) throw new UsageError(`unknown message type 0x${type.toString(16)}`);
  return name;
}

export interface PsrpMessage {
  readonly destination: Destination;
  readonly messageType: MessageType;
  /** Runspace pool GUID (canonical lower-case string). */
  readonly runspacePoolId: string;
  /** Pipeline GUID; NIL_GUID for messages to or from the pool itself. */
  readonly pipelineId: string;
  /** The CLIXML payload; empty for END_OF_PIPELINE_INPUT and similar. */
  readonly data: string;
}

/** The message's bytes are not a valid PSRP message. */
export class MessageError extends ProtocolError {
  override readonly name = 'MessageError';
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Serializes a message; the data is written as UTF-8 without a BOM (pypsrp/psrpcore do the same). */
export function encodeMessage(message: PsrpMessage): Uint8Array {
  if (!isMessageType(message.messageType)) {
    throw new UsageError(`unknown message type 0x${Number(message.messageType).toString(16)}`);
  }
  if (LONE_SURROGATE.test(message.data)) {
    throw new UsageError('message data has a lone surrogate, which UTF-8 cannot carry (CLIXML escapes them)');
  }
  if (message.destination !== Destination.Client && message.destination !== Destination.Server) {
    throw new UsageError(`unknown destination ${String(message.destination)}`);
  }
  const data = Buffer.from(message.data, 'utf8');
  const bytes = new Uint8Array(MESSAGE_HEADER_BYTES + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, message.destination, true);
  view.setUint32(4, message.messageType, true);
  bytes.set(guidToBytes(message.runspacePoolId), 8);
  bytes.set(guidToBytes(message.pipelineId), 24);
  bytes.set(data, MESSAGE_HEADER_BYTES);
  return bytes;
}

/** Parses a reassembled message; a leading UTF-8 BOM in the data is dropped. */
export function decodeMessage(bytes: Uint8Array): PsrpMessage {
  if (bytes.length < MESSAGE_HEADER_BYTES) {
    throw new MessageError(`a PSRP message is at least ${MESSAGE_HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const destination = view.getUint32(0, true);
  if (destination !== Destination.Client && destination !== Destination.Server) {
    throw new MessageError(`unknown PSRP destination ${destination}`);
  }
  const messageType = view.getUint32(4, true);
  if (!isMessageType(messageType)) {
    throw new MessageError(`unknown PSRP message type 0x${messageType.toString(16).padStart(8, '0')}`);
  }
  let data = bytes.subarray(MESSAGE_HEADER_BYTES);
  if (UTF8_BOM.every((byte, index) => data[index] === byte)) data = data.subarray(UTF8_BOM.length);
  let text: string;
  try {
    text = utf8Decoder.decode(data);
  } catch {
    throw new MessageError(`the data of a ${messageTypeName(messageType)} message is not valid UTF-8`);
  }
  return {
    destination,
    messageType,
    runspacePoolId: guidFromBytes(bytes.subarray(8, 24)),
    pipelineId: guidFromBytes(bytes.subarray(24, 40)),
    data: text,
  };
}
