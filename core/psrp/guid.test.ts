import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UsageError } from '../errors';
import { guidFromBytes, guidToBytes, guidToUpper, NIL_GUID, parseGuid, randomGuid } from './guid';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('GUID ⇄ .NET Guid.ToByteArray() bytes', () => {
  // PROTOCOL.md §2.2, from ruby-winrm uuid_spec.rb / psrp_message_spec.rb.
  it.each([
    ['08785e96-eb1b-4a74-a767-7b56e8f13ea9', '965e78081beb744aa7677b56e8f13ea9'],
    ['bc1bfbba-8215-4a04-b2df-7a3ac0310e16', 'bafb1bbc1582044ab2df7a3ac0310e16'],
    ['4218a578-0f18-4b19-82c3-46b433319126', '78a51842180f194b82c346b433319126'],
  ])('%s ⇄ %s', (guid, bytes) => {
    expect(hex(guidToBytes(guid))).toBe(bytes);
    expect(guidFromBytes(Buffer.from(bytes, 'hex'))).toBe(guid);
  });

  it('accepts upper case and returns the canonical lower-case form', () => {
    expect(guidFromBytes(guidToBytes('08785E96-EB1B-4A74-A767-7B56E8F13EA9'))).toBe(
      '08785e96-eb1b-4a74-a767-7b56e8f13ea9',
    );
    expect(hex(guidToBytes(NIL_GUID))).toBe('00'.repeat(16));
  });

  it('round-trips any 16 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(guidToBytes(guidFromBytes(bytes))).toEqual(bytes);
      }),
    );
  });

  it('refuses malformed input as misuse', () => {
    expect(() => guidToBytes('08785e96-eb1b-4a74-a767-7b56e8f13ea')).toThrow(UsageError);
    expect(() => guidToBytes('{08785e96-eb1b-4a74-a767-7b56e8f13ea9}')).toThrow(UsageError);
    expect(() => guidFromBytes(new Uint8Array(15))).toThrow(UsageError);
    expect(parseGuid('not a guid')).toBeUndefined();
  });
});

describe('guidToUpper', () => {
  it('gives the ShellId/CommandId form', () => {
    expect(guidToUpper('76056a84-51dc-4f24-9262-ca2a55464b2b')).toBe('76056A84-51DC-4F24-9262-CA2A55464B2B');
  });
});

describe('randomGuid', () => {
  it('uses the supplied bytes and sets the version-4 and variant bits', () => {
    expect(randomGuid(() => new Uint8Array(16).fill(0xff))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect(randomGuid(() => new Uint8Array(16))).toBe('00000000-0000-4000-8000-000000000000');
  });

  it('asks for exactly 16 bytes and refuses a short answer', () => {
    const asked: number[] = [];
    randomGuid((length) => {
      asked.push(length);
      return new Uint8Array(length);
    });
    expect(asked).toEqual([16]);
    expect(() => randomGuid(() => new Uint8Array(8))).toThrow(UsageError);
  });
});
