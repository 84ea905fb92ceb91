import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors';
import { NIL_GUID } from './guid';
import { decodeMessage, Destination, encodeMessage, MessageError, MessageType, messageTypeName } from './message';

const RPID = 'bc1bfbba-8215-4a04-b2df-7a3ac0310e16';
const PID = '4218a578-0f18-4b19-82c3-46b433319126';
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('PSRP message header (little-endian)', () => {
  // ruby-winrm psrp_message_spec.rb and PROTOCOL.md §2.2.
  it('encodes destination, type and the GUIDs in .NET order', () => {
    const bytes = encodeMessage({
      destination: Destination.Server,
      messageType: MessageType.SessionCapability,
      runspacePoolId: RPID,
      pipelineId: PID,
      data: 'this is my payload',
    });
    expect(hex(bytes.subarray(0, 4))).toBe('02000000');
    expect(hex(bytes.subarray(4, 8))).toBe('02000100');
    expect(hex(bytes.subarray(8, 24))).toBe('bafb1bbc1582044ab2df7a3ac0310e16');
    expect(hex(bytes.subarray(24, 40))).toBe('78a51842180f194b82c346b433319126');
    expect(Buffer.from(bytes.subarray(40)).toString('utf8')).toBe('this is my payload');
  });

  it('writes PIPELINE_OUTPUT as 04 10 04 00 and a nil PID as zeros', () => {
    const bytes = encodeMessage({
      destination: Destination.Client,
      messageType: MessageType.PipelineOutput,
      runspacePoolId: RPID,
      pipelineId: NIL_GUID,
      data: '',
    });
    expect(hex(bytes.subarray(0, 8))).toBe('0100000004100400');
    expect(hex(bytes.subarray(24, 40))).toBe('00'.repeat(16));
    expect(bytes.length).toBe(40);
  });

  it('round-trips, strips a UTF-8 BOM on decode and never writes one', () => {
    const message = {
      destination: Destination.Client,
      messageType: MessageType.PipelineState,
      runspacePoolId: RPID,
      pipelineId: PID,
      data: '<S>café 𝄞</S>',
    } as const;
    const encoded = encodeMessage(message);
    expect(decodeMessage(encoded)).toEqual(message);
    const withBom = new Uint8Array([...encoded.subarray(0, 40), 0xef, 0xbb, 0xbf, ...encoded.subarray(40)]);
    expect(decodeMessage(withBom)).toEqual(message);
    expect(encoded[40]).toBe('<'.charCodeAt(0));
  });

  it('names every message type of PROTOCOL.md §2.3 with its value', () => {
    expect(Object.keys(MessageType)).toHaveLength(31);
    expect(MessageType.ProgressRecord).toBe(0x00041010);
    expect(MessageType.InformationRecord).toBe(0x00041011);
    expect(messageTypeName(MessageType.RunspacePoolHostResponse)).toBe('RunspacePoolHostResponse');
  });

  it('rejects malformed messages as protocol errors', () => {
    const valid = encodeMessage({
      destination: Destination.Client,
      messageType: MessageType.PipelineOutput,
      runspacePoolId: RPID,
      pipelineId: PID,
      data: '<S>x</S>',
    });
    expect(() => decodeMessage(valid.subarray(0, 39))).toThrow(MessageError);
    const badDestination = Uint8Array.from(valid);
    badDestination[0] = 3;
    expect(() => decodeMessage(badDestination)).toThrow(MessageError);
    const badType = Uint8Array.from(valid);
    badType[4] = 0x99;
    expect(() => decodeMessage(badType)).toThrow(/unknown PSRP message type 0x00041099/);
    const badUtf8 = new Uint8Array([...valid.subarray(0, 40), 0xc3, 0x28]);
    expect(() => decodeMessage(badUtf8)).toThrow(MessageError);
  });

  it('refuses to encode what it cannot represent', () => {
    const base = { destination: Destination.Server, runspacePoolId: RPID, pipelineId: NIL_GUID, data: '' };
    expect(() => encodeMessage({ ...base, messageType: 0x1234 as MessageType })).toThrow(UsageError);
    expect(() => encodeMessage({ ...base, messageType: MessageType.PublicKey, data: '\ud800' })).toThrow(UsageError);
    expect(() => encodeMessage({ ...base, messageType: MessageType.PublicKey, runspacePoolId: 'x' })).toThrow(
      UsageError,
    );
  });
});
