import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors';
import { readSingleElement } from '../asn1/der';
import { AuthenticationError } from '../authentication-error';
import {
  decodeApReply,
  decodeApRequest,
  decodeAuthenticator,
  decodeEncApReplyPart,
  decodeTicketBytes,
} from './ap-messages';
import { decodeMethodData, encodeApplication, MessageType } from './asn1';
import { CfxSecurityContext } from './cfx';
import { parseCredentialCache } from './ccache';
import { decodeGssChecksum, decodeKerberosToken } from './gss-token';
import { KerberosInitiator } from './gss-initiator';
import {
  decodeEncKdcReplyPart,
  decodeKdcRequest,
  decodeKdcResponse,
  decodeKrbError,
  findEtypeInfo,
} from './kdc-messages';
import { servicePrincipals } from './principals';
import { FakeKdc } from './test-support/fake-peers';
import { readToken } from './test-support/tokens';
import { TicketAcquisition } from './ticket-acquisition';

/**
 * Every parser of peer (or file) bytes, fed corrupted real tokens and random bytes, either succeeds or
 * throws a typed error: a ProtocolError (malformed or unverifiable input), or an AuthenticationError
 * where a well-formed reply means a refusal. Never a TypeError, RangeError or an allocation sized by a
 * claimed length.
 */

const seeds: Uint8Array[] = [
  encodeApplication(10, readToken('krb_as_req')),
  encodeApplication(11, readToken('krb_as_rep')),
  encodeApplication(12, readToken('krb_tgs_req')),
  encodeApplication(13, readToken('krb_tgs_rep')),
  encodeApplication(30, readToken('krb_error')),
  readToken('initial_context_token_krb_ap_req'),
  readToken('initial_context_token_krb_ap_rep'),
  decodeKerberosToken(readToken('initial_context_token_krb_ap_req')).message,
  decodeKerberosToken(readToken('initial_context_token_krb_ap_rep')).message,
];

const corrupted = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
    )
    .map(([seed, flips]) => {
      const copy = seed.slice();
      for (const [index, flip] of flips) copy[index % copy.length]! ^= flip;
      return copy;
    }),
  fc.tuple(fc.constantFrom(...seeds), fc.nat()).map(([seed, cut]) => seed.subarray(0, cut % seed.length)),
);

const typed = (error: unknown): boolean => error instanceof ProtocolError || error instanceof AuthenticationError;

function onlyTypedErrors(parse: (bytes: Uint8Array) => unknown, runs = 300): void {
  fc.assert(
    fc.property(corrupted, (bytes) => {
      try {
        parse(bytes);
      } catch (error) {
        if (!typed(error)) throw error;
      }
    }),
    { numRuns: runs },
  );
}

describe('parsers fail only with typed errors', () => {
  it.each([
    ['KDC-REQ', (bytes: Uint8Array) => decodeKdcRequest(bytes)],
    ['AS-REP / KRB-ERROR', (bytes: Uint8Array) => decodeKdcResponse(bytes, MessageType.asRep)],
    ['TGS-REP / KRB-ERROR', (bytes: Uint8Array) => decodeKdcResponse(bytes, MessageType.tgsRep)],
    ['KRB-ERROR', (bytes: Uint8Array) => decodeKrbError(bytes)],
    ['EncKDCRepPart', (bytes: Uint8Array) => decodeEncKdcReplyPart(bytes)],
    ['METHOD-DATA and ETYPE-INFO2', (bytes: Uint8Array) => findEtypeInfo(decodeMethodData(readSingleElement(bytes)))],
    ['ETYPE-INFO2 value', (bytes: Uint8Array) => findEtypeInfo([{ type: 19, value: bytes }])],
    ['Ticket', (bytes: Uint8Array) => decodeTicketBytes(bytes)],
    ['AP-REQ', (bytes: Uint8Array) => decodeApRequest(bytes)],
    ['AP-REP', (bytes: Uint8Array) => decodeApReply(bytes)],
    ['EncAPRepPart', (bytes: Uint8Array) => decodeEncApReplyPart(bytes)],
    ['Authenticator', (bytes: Uint8Array) => decodeAuthenticator(bytes)],
    ['GSS token', (bytes: Uint8Array) => decodeKerberosToken(bytes)],
    ['0x8003 checksum', (bytes: Uint8Array) => decodeGssChecksum(bytes)],
    ['credential cache', (bytes: Uint8Array) => parseCredentialCache(bytes)],
  ])('%s', (_name, parse) => onlyTypedErrors(parse));

  it('the ticket acquisition machine, at every step of an exchange with a real KDC reply corrupted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (step, index, flip) => {
        const kdc = new FakeKdc({ iterations: 16 });
        const exchange = new TicketAcquisition({
          client: { nameType: 1, components: ['alice'], realm: 'EXAMPLE.TEST' },
          secret: { kind: 'password', password: 'secret' },
          servicePrincipals: servicePrincipals('host.example.test', 'EXAMPLE.TEST'),
          forwardTgt: false,
          now: kdc.options.now,
          randomBytes: (length) => new Uint8Array(length).fill(3),
        });
        let message = exchange.start();
        for (let current = 0; current <= step; current++) {
          const reply = kdc.handle(message.bytes);
          if (current === step) reply[index % reply.length]! ^= flip;
          try {
            const next = exchange.receive(reply);
            if (next.kind === 'complete') return;
            message = next.message;
          } catch (error) {
            if (!typed(error)) throw error;
            return;
          }
        }
      }),
      { numRuns: 150 },
    );
  }, 30_000);

  it('the GSS initiator on a corrupted AP-REP', () => {
    const ticket = decodeApRequest(decodeKerberosToken(readToken('initial_context_token_krb_ap_req')).message).ticket;
    onlyTypedErrors((bytes) => {
      const initiator = new KerberosInitiator({
        ticket: {
          client: { nameType: 1, components: ['a'], realm: 'R' },
          server: { nameType: 2, components: ['HTTP', 'h'], realm: 'R' },
          key: { etype: 18, bytes: new Uint8Array(32) },
          ticket: ticket.encoded,
          flags: 0,
          authTime: 0,
          startTime: undefined,
          endTime: 1,
          renewTill: undefined,
        },
        forwardedTgt: undefined,
        channelBindings: undefined,
        randomBytes: (length) => new Uint8Array(length),
        now: () => 0,
      });
      initiator.step(undefined);
      initiator.step(bytes);
    }, 200);
  });

  it('unwrap and verifyMic on arbitrary tokens', () => {
    const context = new CfxSecurityContext({
      role: 'initiator',
      key: { etype: 17, bytes: new Uint8Array(16) },
      acceptorSubkey: true,
      sendSequence: 0,
      receiveSequence: 0,
      randomBytes: (length) => new Uint8Array(length),
      encryptedProtocol: 'p',
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ maxLength: 120 }), (header, data) => {
        for (const attempt of [() => context.unwrap(header, data), () => context.verifyMic(data, header)]) {
          try {
            attempt();
          } catch (error) {
            if (!typed(error)) throw error;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lengths that claim more than is there fail at once', () => {
    // A DER element claiming 2 GiB of content, and a ccache claiming 4 billion credentials' names.
    expect(() => decodeKdcRequest(Uint8Array.of(0x6a, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30))).toThrow(ProtocolError);
    expect(() => parseCredentialCache(Uint8Array.of(5, 4, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff))).toThrow(
      ProtocolError,
    );
  });
});
