import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors';
import { Asn1Error } from '../asn1/der';
import { captureToken, fromHex, hex } from '../ntlm/test-support/bytes';
import {
  decodeNegotiationToken,
  encodeInitialNegTokenInit,
  encodeMechTypeList,
  encodeNegTokenResp,
  MechOid,
  NegState,
  type NegTokenInit,
  type NegTokenResp,
} from './tokens';

const asInit = (token: ReturnType<typeof decodeNegotiationToken>): NegTokenInit => {
  expect(token.type).toBe('init');
  return token as NegTokenInit;
};
const asResp = (token: ReturnType<typeof decodeNegotiationToken>): NegTokenResp => {
  expect(token.type).toBe('resp');
  return token as NegTokenResp;
};

// Real Windows tokens (pyspnego tests/data) with the fields PROTOCOL.md §6.1–6.2 describe.
describe('captured SPNEGO tokens', () => {
  it('initial_context_token_neg_token_init: Kerberos then NTLM, with the AP-REQ as optimistic token', () => {
    const bytes = captureToken('initial_context_token_neg_token_init');
    const init = asInit(decodeNegotiationToken(bytes));
    expect(init.mechTypes).toEqual([MechOid.kerberos, MechOid.ntlm]);
    expect(hex(init.mechTypeList)).toBe('3017' + '06092a864886f712010202' + '060a2b06010401823702020a');
    // The mechToken is a raw krb5 InitialContextToken: 0x60, OID 1.2.840.113554.1.2.2, TOK_ID 01 00 (AP-REQ).
    expect(hex(init.mechToken!.subarray(0, 4))).toBe('6082055e');
    expect(hex(init.mechToken!.subarray(4, 17))).toBe('06092a864886f712010202' + '0100');
    expect(init.mechToken!.length).toBe(0x562);
    expect([init.reqFlags, init.negHints, init.mechListMic]).toEqual([undefined, undefined, undefined]);
    // Our encoder produces the same bytes from the same fields.
    expect(hex(encodeInitialNegTokenInit(init.mechTypeList, init.mechToken))).toBe(hex(bytes));
  });

  it('initial_context_token_neg_token_init2: the acceptor hint list with negHints', () => {
    const init = asInit(decodeNegotiationToken(captureToken('initial_context_token_neg_token_init2')));
    expect(init.mechTypes).toEqual([
      MechOid.negoex,
      MechOid.msKerberos,
      MechOid.kerberos,
      MechOid.kerberosUserToUser,
      MechOid.ntlm,
    ]);
    expect(init.negHints).toEqual({ hintName: 'not_defined_in_RFC4178@please_ignore', hintAddress: undefined });
    expect([init.mechToken, init.mechListMic]).toEqual([undefined, undefined]);
  });

  it('neg_token_resp: accept-completed, Kerberos, the AP-REP as response token', () => {
    const bytes = captureToken('neg_token_resp');
    const resp = asResp(decodeNegotiationToken(bytes));
    expect(resp.negState).toBe(NegState.acceptCompleted);
    expect(resp.supportedMech).toBe(MechOid.kerberos);
    expect(resp.responseToken!.length).toBe(156);
    expect(hex(resp.responseToken!.subarray(0, 16))).toBe('6081990609' + '2a864886f712010202' + '0200');
    expect(resp.mechListMic).toBeUndefined();
    expect(hex(encodeNegTokenResp(resp))).toBe(hex(bytes));
  });
});

describe('SPNEGO encoders', () => {
  it('builds the NTLM-only NegTokenInit of Windows/MIT (mechTypes [NTLM], the NEGOTIATE inside)', () => {
    const negotiate = fromHex('4e544c4d5353500001000000378208e200000000000000000000000000000000060200000000000f');
    // The same bytes MIT's SPNEGO initiator sends with gss-ntlmssp for this NEGOTIATE.
    expect(hex(encodeInitialNegTokenInit(encodeMechTypeList([MechOid.ntlm]), negotiate))).toBe(
      '604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa22a0428' + hex(negotiate),
    );
  });

  it('round-trips NegTokenResp fields', () => {
    fc.assert(
      fc.property(
        fc.record({
          negState: fc.option(fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<NegState>, { nil: undefined }),
          supportedMech: fc.option(fc.constantFrom(...Object.values(MechOid)), { nil: undefined }),
          responseToken: fc.option(fc.uint8Array({ maxLength: 400 }), { nil: undefined }),
          mechListMic: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }),
        }),
        (fields) => {
          const decoded = asResp(decodeNegotiationToken(encodeNegTokenResp(fields)));
          expect(decoded.negState).toBe(fields.negState);
          expect(decoded.supportedMech).toBe(fields.supportedMech);
          expect(decoded.responseToken && hex(decoded.responseToken)).toBe(
            fields.responseToken && hex(fields.responseToken),
          );
          expect(decoded.mechListMic && hex(decoded.mechListMic)).toBe(fields.mechListMic && hex(fields.mechListMic));
        },
      ),
    );
  });
});

describe('SPNEGO decoding refuses malformed tokens with typed errors', () => {
  it.each([
    ['another mechanism’s InitialContextToken', fromHex('600d06092a864886f7120102020100'), /not SPNEGO/],
    ['a NegTokenResp with an unknown negState', fromHex('a1073005a0030a0107'), /negState 7/],
    ['fields out of order', fromHex('a10b3009 a2020400 a0030a0100'), /unexpected \[CONTEXT 0 constructed\]/],
    ['a third CHOICE', fromHex('a2023000'), /neither NegTokenInit/],
    ['trailing bytes', fromHex('a1073005a0030a0100 00'), /1 bytes follow/],
    ['a NegTokenInit without mechTypes', fromHex('a0043002a200'), /without mechTypes/],
  ])('%s', (_, bytes, error) => {
    expect(() => decodeNegotiationToken(bytes)).toThrow(Asn1Error);
    expect(() => decodeNegotiationToken(bytes)).toThrow(error);
  });

  const typedOnly = (bytes: Uint8Array) => {
    try {
      decodeNegotiationToken(bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError);
    }
  };

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), typedOnly), { numRuns: 1000 });
    // Random bytes behind a valid first octet get deeper into the decoder.
    fc.assert(
      fc.property(fc.constantFrom(0x60, 0xa0, 0xa1), fc.uint8Array({ maxLength: 200 }), (first, rest) =>
        typedOnly(Uint8Array.of(first, ...rest)),
      ),
      { numRuns: 1000 },
    );
  });

  it.each(['initial_context_token_neg_token_init2', 'neg_token_resp', 'initial_context_token_neg_token_init'])(
    'mutations of %s',
    (name) => {
      const sample = captureToken(name);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat({ max: sample.length - 1 }), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 6,
          }),
          fc.nat({ max: sample.length }),
          (edits, cut) => {
            const bytes = Uint8Array.from(sample);
            for (const [offset, value] of edits) bytes[offset] = value;
            typedOnly(bytes);
            typedOnly(bytes.subarray(0, cut));
          },
        ),
        { numRuns: 1000 },
      );
    },
  );
});
