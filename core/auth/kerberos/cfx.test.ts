import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CfxSecurityContext, GssKeyUsage, type CfxOptions } from './cfx';
import { aes256Profile } from './crypto/aes-sha1';
import { KerberosIntegrityError, KerberosMessageError } from './errors';
import { hex, utf8 } from './test-support/tokens';

const key = { etype: 18, bytes: new Uint8Array(32).fill(0x5a) };
const fixedRandom = (length: number) => new Uint8Array(length).fill(0x33);

const pair = (acceptorSubkey = true, overrides: Partial<CfxOptions> = {}) => ({
  initiator: new CfxSecurityContext({
    role: 'initiator',
    key,
    acceptorSubkey,
    sendSequence: 10,
    receiveSequence: 500,
    randomBytes: fixedRandom,
    encryptedProtocol: 'p',
    ...overrides,
  }),
  acceptor: new CfxSecurityContext({
    role: 'acceptor',
    key,
    acceptorSubkey,
    sendSequence: 500,
    receiveSequence: 10,
    randomBytes: fixedRandom,
    encryptedProtocol: 'p',
  }),
});

/** A wrap token from the acceptor made by hand: any EC, any RRC, rotated the RFC way or Windows' way. */
function craftAcceptorToken(
  plaintext: Uint8Array,
  ec: number,
  rrc: number,
  windowsRotation: boolean,
  sequence: number,
) {
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  header.set([0x05, 0x04, 0x07, 0xff]);
  view.setUint16(4, ec);
  view.setUint32(12, sequence);
  const input = new Uint8Array([...plaintext, ...new Uint8Array(ec).fill(0xab), ...header]);
  const ciphertext = aes256Profile.encrypt(key.bytes, GssKeyUsage.acceptorSeal, input, new Uint8Array(16).fill(1));
  view.setUint16(6, rrc);
  const rotation = (rrc + (windowsRotation ? ec : 0)) % ciphertext.length;
  const rotated = new Uint8Array([
    ...ciphertext.subarray(ciphertext.length - rotation),
    ...ciphertext.subarray(0, ciphertext.length - rotation),
  ]);
  return new Uint8Array([...header, ...rotated]);
}

describe('RFC 4121 wrap tokens as WinRM uses them', () => {
  it('lays out the initiator token like Windows: 60-byte header with EC 0 and RRC 28, data as long as the plaintext', () => {
    const { initiator } = pair();
    const sealed = initiator.wrap(utf8('Plaintext'));
    expect(sealed.header.length).toBe(60);
    expect(sealed.data.length).toBe(9);
    // TOK_ID 0504, flags Sealed|AcceptorSubkey, filler, EC 0, RRC 28, SND_SEQ 10.
    expect(hex(sealed.header.subarray(0, 16))).toBe('050406ff0000001c000000000000000a');
    expect(initiator.maxChunkBytes).toBeUndefined();
  });

  it('round-trips any message both ways with sequence numbers advancing per direction', () => {
    const { initiator, acceptor } = pair();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (request, response) => {
        const sealed = initiator.wrap(request);
        expect(hex(acceptor.unwrap(sealed.header, sealed.data))).toBe(hex(request));
        const reply = acceptor.wrap(response);
        expect(hex(initiator.unwrap(reply.header, reply.data))).toBe(hex(response));
      }),
      { numRuns: 50 },
    );
  });

  it('unwraps tokens with any EC and RRC, rotated by RRC (RFC 4121) or by RRC + EC (Windows), however split', () => {
    const { initiator } = pair();
    let sequence = 500;
    for (const [ec, rrc, windows] of [
      [0, 0, false],
      [0, 28, false],
      [16, 28, false],
      [16, 28, true],
      [5, 44, true],
    ] as const) {
      const token = craftAcceptorToken(utf8(`EC ${ec} RRC ${rrc}`), ec, rrc, windows, sequence++);
      const split = 16 + ((ec + rrc) % 7);
      expect(new TextDecoder().decode(initiator.unwrap(token.subarray(0, split), token.subarray(split)))).toBe(
        `EC ${ec} RRC ${rrc}`,
      );
    }
  });

  it('refuses tampering, replay, reordering, reflection and a mismatched AcceptorSubkey flag', () => {
    const { initiator, acceptor } = pair();
    const first = initiator.wrap(utf8('one'));
    const second = initiator.wrap(utf8('two'));
    for (const [index, part] of [
      [5, 'header'],
      [20, 'header'],
      [0, 'data'],
    ] as const) {
      const header = first.header.slice();
      const data = first.data.slice();
      (part === 'header' ? header : data)[index]! ^= 1;
      expect(() => acceptor.unwrap(header, data)).toThrow(KerberosIntegrityError);
    }
    expect(() => acceptor.unwrap(second.header, second.data)).toThrow(/sequence number 11, expected 10/);
    acceptor.unwrap(first.header, first.data);
    expect(() => acceptor.unwrap(first.header, first.data)).toThrow(KerberosIntegrityError);
    expect(() => initiator.unwrap(second.header, second.data)).toThrow(/wrong direction/);
    const withoutFlag = pair(false).acceptor;
    expect(() => withoutFlag.unwrap(second.header, second.data)).toThrow(/AcceptorSubkey/);
    const unsealed = first.header.slice();
    unsealed[2] = 0x04;
    expect(() => acceptor.unwrap(unsealed, first.data)).toThrow(/unencrypted/);
    expect(() => acceptor.unwrap(new Uint8Array(15), new Uint8Array())).toThrow(KerberosMessageError);
  });

  it('makes and verifies MIC tokens over the same sequence numbers', () => {
    const { initiator, acceptor } = pair();
    const mic = initiator.getMic(utf8('mech list'));
    expect(hex(mic.subarray(0, 16))).toBe('0404' + '04' + 'ffffffffff' + '000000000000000a');
    expect(mic.length).toBe(28);
    expect(() => acceptor.verifyMic(utf8('mech lisT'), mic)).toThrow(KerberosIntegrityError);
    acceptor.verifyMic(utf8('mech list'), mic);
    const sealed = initiator.wrap(utf8('after the MIC'));
    expect(new TextDecoder().decode(acceptor.unwrap(sealed.header, sealed.data))).toBe('after the MIC');
  });

  it('refuses a key that is not AES', () => {
    expect(() => pair(true, { key: { etype: 23, bytes: new Uint8Array(16) } })).toThrow(KerberosMessageError);
  });
});
