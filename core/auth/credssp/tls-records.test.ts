import { describe, expect, it } from 'vitest';
import { captureToken, fromHex } from '../ntlm/test-support/bytes';
import { tlsRecordProblem } from './tls-records';

describe('tlsRecordProblem', () => {
  it('accepts recorded handshake records and runs of several records', () => {
    const hello = captureToken('tls1.3_client_hello');
    const serverHello = captureToken('tls1.2_server_hello');
    expect(tlsRecordProblem(hello)).toBeUndefined();
    expect(tlsRecordProblem(Buffer.concat([hello, serverHello, fromHex('1703030002abcd')]))).toBeUndefined();
    expect(tlsRecordProblem(new Uint8Array(0))).toBeUndefined();
  });

  it('names a cut-short header, a cut-short body, a foreign byte and an oversized claim', () => {
    const record = fromHex('1703030004deadbeef');
    expect(tlsRecordProblem(record.subarray(0, 3))).toMatch(/header is cut short/);
    expect(tlsRecordProblem(record.subarray(0, 8))).toMatch(/cut short/);
    expect(tlsRecordProblem(fromHex('3003030000'))).toMatch(/no TLS record starts at offset 0/);
    expect(tlsRecordProblem(fromHex('170303ffff'))).toMatch(/claims 65535 bytes/);
  });
});
