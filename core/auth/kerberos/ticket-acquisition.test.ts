import { describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../errors';
import { readSingleElement } from '../asn1/der';
import { decodeApRequest } from './ap-messages';
import { decodeEncryptedData, type Principal } from './asn1';
import type { KerberosCredential } from './credentials';
import { KerberosAuthenticationError, KerberosMessageError } from './errors';
import { decodePacRequest, KdcOption, TicketFlag } from './kdc-messages';
import { servicePrincipals } from './principals';
import { encodeKrbError, FakeKdc } from './test-support/fake-peers';
import { TicketAcquisition, type TicketAcquisitionOptions, type TicketAcquisitionResult } from './ticket-acquisition';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const client: Principal = { nameType: 1, components: ['alice'], realm: 'EXAMPLE.TEST' };
let counter = 0;
const randomBytes = (length: number) => new Uint8Array(length).map(() => (counter = (counter * 31 + 7) & 0xff));

function acquisition(overrides: Partial<TicketAcquisitionOptions> = {}): TicketAcquisition {
  return new TicketAcquisition({
    client,
    secret: { kind: 'password', password: 'secret' },
    servicePrincipals: servicePrincipals('host.example.test', 'EXAMPLE.TEST'),
    forwardTgt: false,
    now: () => NOW,
    randomBytes,
    ...overrides,
  });
}

/** Runs the exchange against `kdc`; returns the result and how many requests it took. */
function run(exchange: TicketAcquisition, kdc: FakeKdc): { result: TicketAcquisitionResult; requests: number } {
  let message = exchange.start();
  for (let requests = 1; requests < 10; requests++) {
    expect(message.realm).toBe('EXAMPLE.TEST');
    const step = exchange.receive(kdc.handle(message.bytes));
    if (step.kind === 'complete') return { result: step.result, requests };
    message = step.message;
  }
  throw new Error('no end');
}

function failure(action: () => unknown): KerberosAuthenticationError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(KerberosAuthenticationError);
    return error as KerberosAuthenticationError;
  }
  throw new Error('no error');
}

describe('TicketAcquisition', () => {
  it('pre-authenticates after KDC_ERR_PREAUTH_REQUIRED, then gets the HTTP/ ticket', () => {
    const kdc = new FakeKdc();
    const exchange = acquisition();
    const { result, requests } = run(exchange, kdc);
    expect(requests).toBe(3);
    expect(exchange.state).toBe('complete');
    const [first, second, tgs] = kdc.received;
    expect(first!.padata.map((data) => data.type)).toEqual([128]);
    expect(decodePacRequest(first!.padata[0]!.value)).toBe(true);
    expect(second!.padata.map((data) => data.type)).toEqual([2, 128]);
    expect(decodeEncryptedData(readSingleElement(second!.padata[0]!.value)).etype).toBe(18);
    expect(first!.body).toMatchObject({
      realm: 'EXAMPLE.TEST',
      etypes: [18, 17, 23],
      cname: { components: ['alice'] },
    });
    expect(first!.body.options & KdcOption.forwardable).not.toBe(0);
    expect(tgs!.body).toMatchObject({
      cname: undefined,
      sname: { nameType: 2, components: ['HTTP', 'host.example.test'] },
    });
    expect(tgs!.body.etypes).toEqual([18, 17]);
    expect(decodeApRequest(tgs!.padata[0]!.value).ticket.sname.components).toEqual(['krbtgt', 'EXAMPLE.TEST']);
    expect(result.service.key).toEqual(kdc.serviceSessionKey);
    expect(result.tgt.key).toEqual(kdc.tgtSessionKey);
    expect(result.passwordKeyEtype).toBe(18);
    expect(result.servicePrincipalsTried).toEqual(['HTTP/host.example.test@EXAMPLE.TEST']);
    expect(result.forwardedTgt).toBeUndefined();
  });

  it('uses the salt and iteration count of PA-ETYPE-INFO2, and AES128 or RC4 when that is the etype offered', () => {
    for (const etype of [17, 18, 23]) {
      const kdc = new FakeKdc({ etype, salt: 'SALT.FROM.KDCsomeone-else', iterations: 1000 });
      expect(run(acquisition(), kdc).result.passwordKeyEtype).toBe(etype);
    }
  });

  it('accepts an AS-REP whose encrypted part is tagged EncTGSRepPart, as AD sends it', () => {
    expect(run(acquisition(), new FakeKdc({ asRepPartTag: 26 })).result.tgt.client.components).toEqual(['alice']);
  });

  it('takes a direct AS-REP from a KDC that does not require pre-authentication', () => {
    const kdc = new FakeKdc({ requirePreauth: false, salt: 'EXAMPLE.TESTalice' });
    expect(run(acquisition(), kdc).requests).toBe(2);
  });

  it('reports a wrong password from KDC_ERR_PREAUTH_FAILED and from an AS-REP that does not decrypt', () => {
    const preauth = failure(() => run(acquisition(), new FakeKdc({ password: 'other' })));
    expect(preauth.kerberosFailure).toBe('wrong-password');
    expect(preauth.errorCode).toBe(24);
    const direct = failure(() => run(acquisition(), new FakeKdc({ password: 'other', requirePreauth: false })));
    expect(direct.kerberosFailure).toBe('wrong-password');
    expect(direct.message).toContain('alice@EXAMPLE.TEST');
  });

  it('moves on to host/ and WSMAN/ on KDC_ERR_S_PRINCIPAL_UNKNOWN and lists them all when none is known', () => {
    const fallback = run(acquisition(), new FakeKdc({ services: ['WSMAN/host.example.test'] })).result;
    expect(fallback.servicePrincipalsTried).toEqual([
      'HTTP/host.example.test@EXAMPLE.TEST',
      'host/host.example.test@EXAMPLE.TEST',
      'WSMAN/host.example.test@EXAMPLE.TEST',
    ]);
    const none = failure(() => run(acquisition(), new FakeKdc({ services: [] })));
    expect(none.kerberosFailure).toBe('service-unknown');
    expect(none.failure).toBe('mechanism-rejected');
    expect(none.message).toContain('HTTP/host.example.test@EXAMPLE.TEST, host/host.example.test@EXAMPLE.TEST, WSMAN/');
  });

  it('gets a forwarded TGT for delegation, and refuses when the TGT is not forwardable', () => {
    const { result, requests } = run(acquisition({ forwardTgt: true }), new FakeKdc());
    expect(requests).toBe(4);
    expect(result.forwardedTgt?.server.components).toEqual(['krbtgt', 'EXAMPLE.TEST']);
    const refused = failure(() =>
      run(acquisition({ forwardTgt: true }), new FakeKdc({ tgtFlags: TicketFlag.initial })),
    );
    expect(refused.message).toContain('not forwardable');
  });

  it('starts at the TGS exchange with a cached TGT', () => {
    const kdc = new FakeKdc();
    const tgt: KerberosCredential = {
      client,
      server: { nameType: 2, components: ['krbtgt', 'EXAMPLE.TEST'], realm: 'EXAMPLE.TEST' },
      key: kdc.tgtSessionKey,
      ticket: run(acquisition(), new FakeKdc()).result.tgt.ticket,
      flags: TicketFlag.forwardable,
      authTime: NOW,
      startTime: undefined,
      endTime: NOW + 3600_000,
      renewTill: undefined,
    };
    const { result, requests } = run(acquisition({ secret: { kind: 'ticket-granting-ticket', credential: tgt } }), kdc);
    expect(requests).toBe(1);
    expect(result.passwordKeyEtype).toBeUndefined();
  });

  it('refuses replies with the wrong nonce, and referrals to another realm', () => {
    expect(() => run(acquisition(), new FakeKdc({ nonceOffset: 1 }))).toThrow(KerberosMessageError);
    expect(failure(() => run(acquisition(), new FakeKdc({ referral: true }))).message).toContain('cross-realm');
  });

  it('shows the clock difference of KRB_AP_ERR_SKEW', () => {
    const exchange = acquisition();
    exchange.start();
    const reply = encodeKrbError(
      37,
      'EXAMPLE.TEST',
      { nameType: 2, components: ['krbtgt', 'EXAMPLE.TEST'] },
      NOW - 3723_000,
    );
    const error = failure(() => exchange.receive(reply));
    expect(error.kerberosFailure).toBe('clock-skew');
    expect(error.message).toContain(
      "this computer's clock is 1 h 2 min 3 s ahead of the clock of the KDC of EXAMPLE.TEST",
    );
    expect(exchange.state).toBe('failed');
  });

  it('says which etypes the KDC offered when it offers none this client supports', () => {
    const error = failure(() => run(acquisition(), new FakeKdc({ etype: 3 })));
    expect(error.errorCode).toBe(14);
    expect(error.message).toContain('only encryption types 3');
  });

  it('enforces its transition table', () => {
    const exchange = acquisition();
    expect(() => exchange.receive(new Uint8Array())).toThrow(InvalidStateError);
    run(exchange, new FakeKdc());
    expect(() => exchange.receive(new Uint8Array())).toThrow(InvalidStateError);
    expect(() => exchange.start()).toThrow(InvalidStateError);
    const cached = acquisition({
      secret: { kind: 'ticket-granting-ticket', credential: run(acquisition(), new FakeKdc()).result.tgt },
    });
    cached.start();
    expect(() => cached.start()).toThrow(InvalidStateError);
  });
});
