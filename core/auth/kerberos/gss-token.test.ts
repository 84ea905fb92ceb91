import { describe, expect, it } from 'vitest';
import { encodeInitialContextToken } from '../asn1/gss-framing';
import { KerberosMessageError } from './errors';
import {
  decodeGssChecksum,
  decodeKerberosToken,
  encodeGssChecksum,
  encodeKerberosToken,
  GssFlag,
  TokenId,
} from './gss-token';
import { fromHex, hex } from './test-support/tokens';

describe('Kerberos GSS tokens', () => {
  it('frames with the krb5 OID and TOK_ID, and reads the MS legacy OID too', () => {
    const token = encodeKerberosToken(TokenId.apReq, fromHex('6e00'));
    expect(hex(token)).toBe('600f06092a864886f712010202' + '0100' + '6e00');
    expect(decodeKerberosToken(token)).toEqual({ tokenId: 0x0100, message: fromHex('6e00') });
    const legacy = encodeInitialContextToken('1.2.840.48018.1.2.2', fromHex('02006f00'));
    expect(decodeKerberosToken(legacy).tokenId).toBe(TokenId.apRep);
    expect(() => decodeKerberosToken(encodeInitialContextToken('1.3.6.1.5.5.2', fromHex('0100')))).toThrow(
      KerberosMessageError,
    );
    expect(() => decodeKerberosToken(encodeInitialContextToken('1.2.840.113554.1.2.2', fromHex('01')))).toThrow(
      /without TOK_ID/,
    );
  });

  it('writes the 0x8003 checksum little-endian, with the delegation fields only when delegating', () => {
    const plain = encodeGssChecksum({
      bindingsHash: new Uint8Array(16).fill(0xaa),
      flags: 0x3e,
      delegation: undefined,
    });
    expect(hex(plain)).toBe('10000000' + 'aa'.repeat(16) + '3e000000');
    const delegating = encodeGssChecksum({
      bindingsHash: new Uint8Array(16),
      flags: 0x3f,
      delegation: fromHex('7601ff'),
    });
    expect(hex(delegating.subarray(20))).toBe('3f000000' + '0100' + '0300' + '7601ff');
    expect(decodeGssChecksum(delegating)).toEqual({
      bindingsHash: new Uint8Array(16),
      flags: 0x3f,
      delegation: fromHex('7601ff'),
    });
    expect(() =>
      encodeGssChecksum({ bindingsHash: new Uint8Array(16), flags: GssFlag.delegate, delegation: undefined }),
    ).toThrow(RangeError);
    expect(() => decodeGssChecksum(delegating.subarray(0, 29))).toThrow(/truncated/);
    expect(() => decodeGssChecksum(plain.subarray(0, 23))).toThrow(KerberosMessageError);
  });
});
