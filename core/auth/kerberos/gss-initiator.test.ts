import { describe, expect, it } from 'vitest';
import { InvalidStateError, ProtocolError } from '../../errors';
import { applicationTag, encodeGeneralString, encodeInteger, expectTag, readSingleElement } from '../asn1/der';
import { encodeApplication, encodeEncryptedData, encodeFields, encodePrincipalName } from './asn1';
import type { KerberosCredential } from './credentials';
import { KerberosAuthenticationError, KerberosMessageError } from './errors';
import { decodeGssChecksum, encodeKerberosToken, GssFlag, TokenId } from './gss-token';
import { KerberosInitiator, type KerberosInitiatorOptions } from './gss-initiator';
import { KerberosAuthContext } from './kerberos-context';
import { acceptApRequest, encodeKrbError } from './test-support/fake-peers';
import { hex, utf8 } from './test-support/tokens';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0) + 345;
const sessionKey = { etype: 18, bytes: new Uint8Array(32).fill(0x22) };
const ticket: KerberosCredential = {
  client: { nameType: 1, components: ['alice'], realm: 'EXAMPLE.TEST' },
  server: { nameType: 2, components: ['HTTP', 'host.example.test'], realm: 'EXAMPLE.TEST' },
  key: sessionKey,
  ticket: encodeApplication(
    1,
    encodeFields([
      encodeInteger(5),
      encodeGeneralString('EXAMPLE.TEST'),
      encodePrincipalName({ nameType: 2, components: ['HTTP', 'host.example.test'] }),
      encodeEncryptedData({ etype: 18, kvno: 3, cipher: new Uint8Array(48) }),
    ]),
  ),
  flags: 0,
  authTime: NOW,
  startTime: undefined,
  endTime: NOW + 3600_000,
  renewTill: undefined,
};
let seed = 1;
const randomBytes = (length: number) => new Uint8Array(length).map(() => (seed = (seed * 73 + 11) & 0xff));

const initiator = (overrides: Partial<KerberosInitiatorOptions> = {}) =>
  new KerberosInitiator({
    ticket,
    forwardedTgt: undefined,
    channelBindings: undefined,
    randomBytes,
    now: () => NOW,
    ...overrides,
  });

describe('KerberosInitiator', () => {
  it('sends a mutual-required AP-REQ whose authenticator carries the subkey, sequence number and 0x8003 checksum', () => {
    const mechanism = initiator();
    const token = mechanism.step(undefined)!;
    expect(token[0]).toBe(0x60);
    const { apRequest, authenticator } = acceptApRequest(token, sessionKey);
    expect(apRequest.options).toBe(0x20000000);
    expect(authenticator.client).toEqual(ticket.client);
    expect(authenticator.ctime).toBe(NOW - 345);
    expect(authenticator.cusec).toBe(345_000);
    expect(authenticator.subkey?.etype).toBe(18);
    expect(authenticator.seqNumber).toBeLessThanOrEqual(0x3fffffff);
    expect(authenticator.checksum?.type).toBe(0x8003);
    const checksum = decodeGssChecksum(authenticator.checksum!.value);
    expect(hex(checksum.bindingsHash)).toBe('00'.repeat(16));
    expect(checksum.flags).toBe(0x3e);
    expect(checksum.delegation).toBeUndefined();
  });

  it('puts the MD5 of the channel-bindings struct in Bnd (PROTOCOL.md §10 vector)', () => {
    const bindings = new Uint8Array([...utf8('tls-server-end-point:'), ...new Uint8Array(32)]);
    const { authenticator } = acceptApRequest(initiator({ channelBindings: bindings }).step(undefined)!, sessionKey);
    expect(hex(decodeGssChecksum(authenticator.checksum!.value).bindingsHash)).toBe('c9ec5cb29e8f57f7ee6429cde733efeb');
  });

  it('delegates a forwarded TGT as KRB-CRED with the delegate flag', () => {
    const forwardedTgt = {
      ...ticket,
      server: { nameType: 2, components: ['krbtgt', 'EXAMPLE.TEST'], realm: 'EXAMPLE.TEST' },
    };
    const { authenticator } = acceptApRequest(initiator({ forwardedTgt }).step(undefined)!, sessionKey);
    const checksum = decodeGssChecksum(authenticator.checksum!.value);
    expect(checksum.flags).toBe(0x3e | GssFlag.delegate);
    expectTag(readSingleElement(checksum.delegation!), applicationTag(22), 'KRB-CRED');
  });

  it('completes on the AP-REP and seals with the acceptor subkey, both ways, in sequence', () => {
    const mechanism = initiator();
    const accepted = acceptApRequest(mechanism.step(undefined)!, sessionKey, { sequence: 1000 });
    expect(mechanism.step(accepted.token)).toBeUndefined();
    expect(mechanism.complete).toBe(true);
    const sealing = mechanism.sealing!;
    expect(sealing.encryptedProtocol).toBe('application/HTTP-SPNEGO-session-encrypted');
    for (const [index, message] of ['first', 'second', 'x'.repeat(3000)].entries()) {
      const sealed = sealing.wrap(utf8(message));
      expect(sealed.header[2]).toBe(0x06);
      expect(new TextDecoder().decode(accepted.context.unwrap(sealed.header, sealed.data))).toBe(message);
      const reply = accepted.context.wrap(utf8(`re: ${message}`));
      expect(reply.header[2]).toBe(0x07);
      expect(hex(reply.header.subarray(8, 16))).toBe((1000 + index).toString(16).padStart(16, '0'));
      expect(new TextDecoder().decode(sealing.unwrap(reply.header, reply.data))).toBe(`re: ${message}`);
    }
    const list = utf8('mech types');
    accepted.context.verifyMic(list, mechanism.mechListMic(list));
    mechanism.verifyMechListMic(list, accepted.context.getMic(list));
  });

  it('uses its own subkey when the AP-REP has none, and accepts an AP-REP without GSS framing', () => {
    const mechanism = initiator();
    const accepted = acceptApRequest(mechanism.step(undefined)!, sessionKey, { subkey: false, unframed: true });
    mechanism.step(accepted.token);
    const sealed = mechanism.sealing!.wrap(utf8('hello'));
    expect(sealed.header[2]).toBe(0x02);
    expect(new TextDecoder().decode(accepted.context.unwrap(sealed.header, sealed.data))).toBe('hello');
  });

  it('fails mutual authentication when the AP-REP does not echo the time, or is missing', () => {
    const forged = initiator();
    const accepted = acceptApRequest(forged.step(undefined)!, sessionKey, { wrongTime: true });
    expect(() => forged.step(accepted.token)).toThrow(KerberosMessageError);
    expect(() => forged.step(accepted.token)).toThrow(InvalidStateError);
    const silent = initiator();
    silent.step(undefined);
    expect(() => silent.step(undefined)).toThrow(/mutual authentication/);
    expect(() => initiator().step(new Uint8Array(1))).toThrow(ProtocolError);
  });

  it('turns a KRB-ERROR token from the server into an error the user can act on', () => {
    const sname = { nameType: 2, components: ['HTTP', 'host.example.test'] };
    const skewed = initiator();
    skewed.step(undefined);
    const skew = encodeKerberosToken(TokenId.error, encodeKrbError(37, 'EXAMPLE.TEST', sname, NOW + 600_000));
    expect(() => skewed.step(skew)).toThrow(/clock is 10 min behind the clock of the server HTTP\/host.example.test/);
    const refused = initiator();
    refused.step(undefined);
    const modified = encodeKerberosToken(TokenId.error, encodeKrbError(41, 'EXAMPLE.TEST', sname, NOW));
    try {
      refused.step(modified);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KerberosAuthenticationError);
      expect((error as KerberosAuthenticationError).kerberosFailure).toBe('server-rejected');
      expect((error as Error).message).toContain('KRB_AP_ERR_MODIFIED (41)');
    }
  });
});

describe('KerberosAuthContext (the Kerberos HTTP scheme)', () => {
  it('sends the AP-REQ as continue, completes on the AP-REP, and seals as HTTP-Kerberos-session-encrypted', () => {
    const context = new KerberosAuthContext({
      ticket,
      forwardedTgt: undefined,
      channelBindings: undefined,
      randomBytes,
      now: () => NOW,
    });
    expect(context).toMatchObject({
      httpScheme: 'Kerberos',
      mechanismName: 'Kerberos',
      connectionBound: true,
      complete: false,
    });
    const first = context.step(undefined);
    expect(first.kind).toBe('continue');
    const accepted = acceptApRequest(first.kind === 'continue' ? first.token : new Uint8Array(), sessionKey);
    expect(context.step(accepted.token)).toEqual({ kind: 'complete', token: undefined });
    expect(context.sealing?.encryptedProtocol).toBe('application/HTTP-Kerberos-session-encrypted');
    expect(context.principal).toBe('alice@EXAMPLE.TEST');
    expect(context.credentialsRejected().message).toContain('HTTP/host.example.test@EXAMPLE.TEST');
  });
});
