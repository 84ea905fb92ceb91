import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KerberosAuthenticationError } from '../../core/auth/kerberos/errors';
import type { KerberosInitiator } from '../../core/auth/kerberos/gss-initiator';
import type { AuthContext, MessageSealing } from '../../core/auth/mechanism';
import { SpnegoContext } from '../../core/auth/spnego';
import { kerberosMechanism, prepareKerberos, type KerberosOptions, type PreparedKerberos } from './kerberos-client';
import { kinit, startTestRealm, TestAcceptor, type TestRealm } from './test-support/kerberos-lab';

/**
 * The TypeScript Kerberos client against real peers on 127.0.0.1: MIT's krb5kdc for the AS and TGS
 * exchanges, and MIT's GSSAPI acceptor (python3-gssapi) for the AP exchange and message protection.
 */

let realm: TestRealm;
let acceptor: TestAcceptor;

beforeAll(async () => {
  realm = await startTestRealm();
  acceptor = await TestAcceptor.start(realm);
}, 60_000);

afterAll(async () => {
  await acceptor?.close();
  await realm?.close();
});

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function options(overrides: Partial<KerberosOptions>): KerberosOptions {
  return {
    user: 'alice@LAB.TEST',
    password: realm.passwords.alice,
    targetHostName: realm.host,
    krb5ConfigPaths: [realm.krb5Conf],
    environment: realm.environment,
    dnsSrvLookup: false,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<KerberosAuthenticationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KerberosAuthenticationError);
  return error as KerberosAuthenticationError;
}

/** Runs the AP exchange of `context` against the acceptor; returns what the acceptor saw. */
async function establish(context: AuthContext, bindings?: Uint8Array) {
  const first = context.step(undefined);
  expect(first.kind).toBe('continue');
  const accepted = await acceptor.accept(first.token!, bindings);
  expect(accepted.complete).toBe(true);
  expect(accepted.token).not.toBeNull();
  const last = context.step(new Uint8Array(Buffer.from(accepted.token!, 'base64')));
  expect(last).toEqual({ kind: 'complete', token: undefined });
  return accepted;
}

/** Several messages each way, interleaved, through the acceptor's IOV wrap/unwrap. */
async function exchangeMessages(sealing: MessageSealing): Promise<void> {
  for (const size of [0, 1, 15, 16, 100, 5000]) {
    const outgoing = text(`client message of ${size} bytes:`.padEnd(size + 40, 'x'));
    const sealed = sealing.wrap(outgoing);
    expect(sealed.header.length).toBe(60);
    expect(sealed.data.length).toBe(outgoing.length);
    expect(decode(await acceptor.unwrap(sealed.header, sealed.data))).toBe(decode(outgoing));

    const incoming = text(`server reply ${size}`.padEnd(size + 20, 'y'));
    const reply = await acceptor.wrap(incoming);
    expect(reply.header.length).toBe(60);
    expect(decode(sealing.unwrap(reply.header, reply.data))).toBe(decode(incoming));
  }
}

describe('AS and TGS exchanges with MIT krb5kdc', () => {
  it('gets a TGT with an AES256 password key after KDC_ERR_PREAUTH_REQUIRED, then HTTP/<host>', async () => {
    const prepared = await prepareKerberos(options({ kdc: [realm.kdc] }));
    expect(prepared.tickets.passwordKeyEtype).toBe(18);
    expect(prepared.client).toBe('alice@LAB.TEST');
    expect(prepared.servicePrincipal).toBe(`HTTP/${realm.host}@LAB.TEST`);
    expect(prepared.servicePrincipalsTried).toEqual([`HTTP/${realm.host}@LAB.TEST`]);
    expect(prepared.tickets.service.key.etype).toBe(18);
    expect(prepared.expiresAt).toBeGreaterThan(Date.now());
  });

  it('finds the KDC in krb5.conf when no KDC option is given', async () => {
    const prepared = await prepareKerberos(options({ user: 'alice' }));
    expect(prepared.client).toBe('alice@LAB.TEST');
  });

  it('derives an AES128 key for a principal that has only one', async () => {
    const prepared = await prepareKerberos(options({ user: 'aes128@LAB.TEST', password: realm.passwords.aes128 }));
    expect(prepared.tickets.passwordKeyEtype).toBe(17);
  });

  it('derives an RC4 key for a principal that has only one, and still gets an AES service session key', async () => {
    const prepared = await prepareKerberos(options({ user: 'rc4@LAB.TEST', password: realm.passwords.rc4 }));
    expect(prepared.tickets.passwordKeyEtype).toBe(23);
    expect([17, 18]).toContain(prepared.tickets.service.key.etype);
  });

  it('takes the AS-REP of a KDC that does not require pre-authentication', async () => {
    const prepared = await prepareKerberos(options({ user: 'bob@LAB.TEST', password: realm.passwords.bob }));
    expect(prepared.client).toBe('bob@LAB.TEST');
  });

  it('reports a wrong password with and without pre-authentication', async () => {
    const preauthenticated = await failure(prepareKerberos(options({ password: 'wrong' })));
    expect(preauthenticated.kerberosFailure).toBe('wrong-password');
    expect(preauthenticated.failure).toBe('credentials-rejected');
    expect(preauthenticated.errorCode).toBe(24);
    expect(preauthenticated.message).toContain('alice@LAB.TEST');
    expect(preauthenticated.message).toContain('KDC_ERR_PREAUTH_FAILED');

    const direct = await failure(prepareKerberos(options({ user: 'bob@LAB.TEST', password: 'wrong' })));
    expect(direct.kerberosFailure).toBe('wrong-password');
  });

  it('reports an unknown user', async () => {
    const error = await failure(prepareKerberos(options({ user: 'mallory@LAB.TEST' })));
    expect(error.kerberosFailure).toBe('client-unknown');
    expect(error.message).toContain('mallory@LAB.TEST');
  });

  it('falls back from HTTP/ to host/ on KDC_ERR_S_PRINCIPAL_UNKNOWN', async () => {
    const prepared = await prepareKerberos(options({ targetHostName: realm.fallbackHost }));
    expect(prepared.servicePrincipalsTried).toEqual([
      `HTTP/${realm.fallbackHost}@LAB.TEST`,
      `host/${realm.fallbackHost}@LAB.TEST`,
    ]);
    const accepted = await establish(
      prepared.newAuthContext({ channelBindings: undefined, targetHostName: realm.fallbackHost }),
    );
    expect(accepted.initiator).toBe('alice@LAB.TEST');
  });

  it('lists every SPN tried when the KDC knows none of them', async () => {
    const error = await failure(prepareKerberos(options({ targetHostName: realm.unknownHost })));
    expect(error.kerberosFailure).toBe('service-unknown');
    for (const service of ['HTTP', 'host', 'WSMAN'])
      expect(error.message).toContain(`${service}/${realm.unknownHost}@LAB.TEST`);
    expect(error.message).toContain('host name used for Kerberos');
  });

  it('reports clock skew with the difference', async () => {
    const skewed = () => Date.now() + 2 * 3600_000 + 10_000;
    const error = await failure(prepareKerberos(options({ now: skewed })));
    expect(error.kerberosFailure).toBe('clock-skew');
    expect(error.errorCode).toBe(37);
    expect(error.message).toMatch(
      /this computer's clock is 2 h (9|10|11) s ahead of the clock of the KDC of LAB\.TEST/,
    );
  });

  it('reports an unreachable KDC with the address tried', async () => {
    const error = await failure(prepareKerberos(options({ kdc: ['127.0.0.1:1'] })));
    expect(error.kerberosFailure).toBe('kdc-unreachable');
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('credential cache from kinit', () => {
  it('uses the TGT of the cache instead of a password', async () => {
    const cache = await kinit(realm, 'alice@LAB.TEST', realm.passwords.alice, 'alice-ccache');
    const prepared = await prepareKerberos(options({ user: undefined, password: undefined, credentialCache: cache }));
    expect(prepared.client).toBe('alice@LAB.TEST');
    expect(prepared.tickets.passwordKeyEtype).toBeUndefined();
    const accepted = await establish(
      prepared.newAuthContext({ channelBindings: undefined, targetHostName: realm.host }),
    );
    expect(accepted.initiator).toBe('alice@LAB.TEST');
  });

  it('finds the cache through KRB5CCNAME', async () => {
    const cache = await kinit(realm, 'bob@LAB.TEST', realm.passwords.bob, 'bob-ccache');
    const prepared = await prepareKerberos(
      options({ user: undefined, password: undefined, environment: { ...realm.environment, KRB5CCNAME: cache } }),
    );
    expect(prepared.client).toBe('bob@LAB.TEST');
  });

  it('says to run kinit when there is no cache', async () => {
    const error = await failure(
      prepareKerberos(options({ password: undefined, credentialCache: `FILE:${realm.directory}/missing` })),
    );
    expect(error.kerberosFailure).toBe('no-ticket');
    expect(error.message).toContain('kinit alice@LAB.TEST');
  });
});

describe('AP exchange and message protection with MIT GSSAPI', () => {
  let prepared: PreparedKerberos;
  beforeAll(async () => {
    prepared = await prepareKerberos(options({}));
  });

  it('authenticates with the Kerberos scheme, verifies the AP-REP and seals both ways (no channel bindings)', async () => {
    const mechanism = kerberosMechanism(prepared);
    expect(mechanism).toMatchObject({ httpScheme: 'Kerberos', connectionBound: true, canSeal: true });
    const context = mechanism.newContext({ channelBindings: undefined, targetHostName: realm.host });
    const accepted = await establish(context);
    expect(accepted.initiator).toBe('alice@LAB.TEST');
    expect(accepted.delegated).toBeNull();
    expect(context.sealing!.encryptedProtocol).toBe('application/HTTP-Kerberos-session-encrypted');
    await exchangeMessages(context.sealing!);
  });

  it('binds to the TLS channel: matching bindings accepted, different ones refused', async () => {
    const bindings = Buffer.concat([
      Buffer.from('tls-server-end-point:'),
      createHash('sha256').update('the server certificate').digest(),
    ]);
    const context = prepared.newAuthContext({ channelBindings: bindings, targetHostName: realm.host });
    await establish(context, bindings);
    await exchangeMessages(context.sealing!);

    const mismatched = prepared.newAuthContext({ channelBindings: bindings, targetHostName: realm.host });
    const token = mismatched.step(undefined);
    const other = Buffer.concat([Buffer.from('tls-server-end-point:'), Buffer.alloc(32)]);
    await expect(acceptor.accept(token.kind === 'continue' ? token.token : new Uint8Array(), other)).rejects.toThrow(
      /channel binding/i,
    );
  });

  it('serves SPNEGO as a GSS mechanism: MICs both ways, then sealing with the SPNEGO protocol', async () => {
    const mechanism: KerberosInitiator = prepared.newGssMechanism({
      channelBindings: undefined,
      targetHostName: realm.host,
    });
    const accepted = await acceptor.accept(mechanism.step(undefined)!);
    expect(mechanism.step(new Uint8Array(Buffer.from(accepted.token!, 'base64')))).toBeUndefined();
    expect(mechanism.complete).toBe(true);
    const mechTypeList = text('0\x0b\x06\x09*\x86H\x86\xf7\x12\x01\x02\x02');
    await acceptor.verifyMic(mechTypeList, mechanism.mechListMic(mechTypeList));
    mechanism.verifyMechListMic(mechTypeList, await acceptor.getMic(mechTypeList));
    expect(() => mechanism.verifyMechListMic(text('other'), new Uint8Array(28))).toThrow();
    expect(mechanism.sealing!.encryptedProtocol).toBe('application/HTTP-SPNEGO-session-encrypted');
    await exchangeMessages(mechanism.sealing!);
  });

  it("is SPNEGO's Kerberos mechanism against MIT's SPNEGO acceptor (Negotiate scheme)", async () => {
    const negotiate = new SpnegoContext([
      prepared.newGssMechanism({ channelBindings: undefined, targetHostName: realm.host }),
    ]);
    const first = negotiate.step(undefined);
    const accepted = await acceptor.accept(first.kind === 'continue' ? first.token : new Uint8Array());
    expect(accepted.initiator).toBe('alice@LAB.TEST');
    expect(negotiate.step(new Uint8Array(Buffer.from(accepted.token!, 'base64')))).toEqual({
      kind: 'complete',
      token: undefined,
    });
    expect(negotiate.selectedMechanism).toBe('Kerberos');
    await exchangeMessages(negotiate.sealing!);
  });

  it('delegates a forwarded TGT when asked', async () => {
    const delegating = await prepareKerberos(options({ delegate: true }));
    expect(delegating.tickets.forwardedTgt).toBeDefined();
    const accepted = await establish(
      delegating.newAuthContext({ channelBindings: undefined, targetHostName: realm.host }),
    );
    expect(accepted.delegated).toBe('alice@LAB.TEST');
  });

  it('refuses a context for another host than the ticket is for', () => {
    expect(() => prepared.newAuthContext({ channelBindings: undefined, targetHostName: 'other.lab.test' })).toThrow(
      /ticket is for/,
    );
  });
});
