import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../core/auth/authentication-error';
import {
  CredSspBindingError,
  CredSspRefusedError,
  CredSspVersionError,
  tlsTrailerLength,
} from '../../core/auth/credssp';
import { FakeInner } from '../../core/auth/credssp/test-support/fake-inner';
import { UsageError } from '../../core/errors';
import { issue, newKey } from '../../e2e/support/pki';
import { CREDSSP_CHUNK_BYTES, CREDSSP_ENCRYPTED_PROTOCOL, CredSspAuthContext } from './credssp-context';
import { credSspMechanism } from './credssp-mechanism';
import { FakeCredSspServer, type FakeCredSspServerOptions } from './test-support/fake-credssp-server';
import { CredSspTlsError, type CredSspTlsOptions } from './tls-session';

const PASSWORD = 'Secret-123';
const leaf = issue({ commonName: 'win-lab.lab.test', key: newKey() });
const certificate = { pem: leaf.pem, keyPem: leaf.key.pem, der: leaf.der };
const impostor = issue({ commonName: 'win-lab.lab.test', key: newKey() });

function pair(
  server: Partial<FakeCredSspServerOptions> = {},
  client: { minimumVersion?: number; password?: string; tls?: CredSspTlsOptions } = {},
) {
  const context = new CredSspAuthContext({
    credentials: { userName: 'LAB\\alice', password: client.password ?? PASSWORD },
    inner: new FakeInner(),
    randomBytes: (length) => Uint8Array.from(randomBytes(length)),
    minimumVersion: client.minimumVersion,
    tls: client.tls,
  });
  return { context, server: new FakeCredSspServer({ version: 6, certificate, password: PASSWORD, ...server }) };
}

/** The transport's leg loop (main/transport/winrm-transport.ts) without HTTP; returns the number of legs. */
async function authenticate(context: CredSspAuthContext, server: FakeCredSspServer): Promise<number> {
  let result = await context.step(undefined);
  for (let legs = 1; legs < 10; legs++) {
    const answer = await server.step(result.token!);
    if (answer.status === 200) {
      expect(result.kind).toBe('complete');
      expect(context.complete).toBe(true);
      return legs;
    }
    if (result.kind === 'complete') throw await context.credentialsRejected(answer.token);
    result = await context.step(answer.token);
  }
  throw new Error('no end after 10 legs');
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('it succeeded'),
    (e: unknown) => e,
  );

describe('CredSspAuthContext against a CredSSP server on Node TLS', () => {
  it.each([
    ['TLS 1.3', {}, 'TLSv1.3', 4],
    ['TLS 1.2 with AES-GCM', { maxVersion: 'TLSv1.2' as const }, 'TLSv1.2', 5],
    [
      'TLS 1.2 with AES-CBC and SHA-256',
      { maxVersion: 'TLSv1.2' as const, ciphers: 'ECDHE-RSA-AES128-SHA256' },
      'TLSv1.2',
      5,
    ],
  ])(
    'authenticates over %s, binds, delegates, then seals whole records split at the trailer',
    async (_, tls, protocol, legs) => {
      const { context, server } = pair({ tls });
      expect(await authenticate(context, server)).toBe(legs);
      expect(server.credentials).toEqual({ domainName: 'LAB', userName: 'alice', password: PASSWORD });
      expect(context.negotiatedVersion).toBe(6);
      expect(context.tls?.protocol).toBe(protocol);

      const sealing = context.sealing!;
      expect(sealing.encryptedProtocol).toBe(CREDSSP_ENCRYPTED_PROTOCOL);
      expect(sealing.maxChunkBytes).toBe(CREDSSP_CHUNK_BYTES);
      for (const size of [1, 30, 1000, CREDSSP_CHUNK_BYTES]) {
        const plaintext = Uint8Array.from(randomBytes(size));
        const { header, data } = await sealing.wrap(plaintext);
        expect(header.length).toBe(tlsTrailerLength(context.tls!.protocol, context.tls!.cipherName, size));
        const record = Buffer.concat([header, data]);
        expect(record.readUInt16BE(3) + 5).toBe(record.length); // exactly one TLS record
        expect((await server.tls.receive(record)).plaintext).toEqual(Buffer.from(plaintext));

        const answer = await server.tls.seal(plaintext.map((byte) => byte ^ 0xff));
        const opened = await sealing.unwrap(answer.subarray(0, 17), answer.subarray(17));
        expect(Buffer.from(opened)).toEqual(Buffer.from(plaintext.map((byte) => byte ^ 0xff)));
      }
      await expect(sealing.wrap(new Uint8Array(CREDSSP_CHUNK_BYTES + 1))).rejects.toThrow(UsageError);
    },
  );

  it.each([2, 3, 4, 5])('completes with a version %i server, and refuses it below a minimum of 6', async (version) => {
    const { context, server } = pair({ version });
    await authenticate(context, server);
    expect(context.negotiatedVersion).toBe(version);
    expect(server.requests[1]!.clientNonce !== undefined).toBe(version >= 5);

    const strict = pair({ version }, { minimumVersion: 6 });
    const error = await failure(authenticate(strict.context, strict.server));
    expect(error).toBeInstanceOf(CredSspVersionError);
    expect((error as Error).message).toMatch(`version ${version}, below the minimum of 6`);
    expect(strict.server.requests).toHaveLength(1); // no binding, no credentials
  });

  it("does not delegate when the server's binding covers another key (a machine in the middle)", async () => {
    const { context, server } = pair({ bindingKey: impostor.x509.publicKey.export({ type: 'pkcs1', format: 'der' }) });
    const error = await failure(authenticate(context, server));
    expect(error).toBeInstanceOf(CredSspBindingError);
    expect(server.credentials).toBeUndefined();
    await expect(context.step(new Uint8Array(5))).rejects.toThrow(); // the context is dead
  });

  it('reads the errorCode of the 401 that refuses the delegated password, and of one that refuses the inner logon', async () => {
    const wrong = pair({}, { password: 'wrong' });
    const error = await failure(authenticate(wrong.context, wrong.server));
    expect(error).toBeInstanceOf(CredSspRefusedError);
    expect((error as CredSspRefusedError).failure).toBe('credentials-rejected');
    expect((error as Error).message).toMatch(
      /^the server rejected the credentials of LAB\\alice using CredSSP \(STATUS_LOGON_FAILURE/,
    );

    const refused = pair({ refuseAuthentication: 0xc0000072 });
    const disabled = await failure(authenticate(refused.context, refused.server));
    expect(disabled).toBeInstanceOf(CredSspRefusedError);
    expect((disabled as Error).message).toMatch(/STATUS_ACCOUNT_DISABLED, 0xC0000072: the account is disabled/);
  });

  it('names the user when a 401 ends the exchange without a token', async () => {
    const { context } = pair();
    await context.step(undefined);
    const error = await context.credentialsRejected(undefined);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/credentials of LAB\\alice using CredSSP/);
  });

  it('fails with a CredSspTlsError on a TLS alert, on bytes that are not TLS records, and on a cut record', async () => {
    const alerted = pair();
    await alerted.context.step(undefined);
    const handshakeFailure = Uint8Array.of(0x15, 3, 3, 0, 2, 2, 40); // fatal alert: handshake_failure
    const alert = await failure(alerted.context.step(handshakeFailure));
    expect(alert).toBeInstanceOf(CredSspTlsError);
    expect((alert as Error).message).toBe('the CredSSP TLS session failed: sslv3 alert handshake failure');

    const garbage = pair();
    await garbage.context.step(undefined);
    await expect(garbage.context.step(Buffer.from('HTTP/1.1 200 OK'))).rejects.toThrow(/no TLS record starts/);

    const cut = pair();
    const hello = await cut.context.step(undefined);
    const flight = (await cut.server.step(hello.token!)).token!;
    await expect(cut.context.step(flight.subarray(0, flight.length - 1))).rejects.toThrow(CredSspTlsError);
  });

  it('is driven in order: no token first, nothing after completion', async () => {
    await expect(pair().context.step(Uint8Array.of(0x16, 3, 3, 0, 0))).rejects.toThrow(UsageError);
    const { context, server } = pair();
    await authenticate(context, server);
    await expect(context.step(undefined)).rejects.toThrow(/already complete/);
  });

  it('keeps both directions in step over many messages of random sizes (the pump waits for the engine)', async () => {
    const { context, server } = pair();
    await authenticate(context, server);
    const sealing = context.sealing!;
    for (let index = 0; index < 200; index++) {
      const size = 1 + ((index * 7919) % CREDSSP_CHUNK_BYTES);
      const { header, data } = await sealing.wrap(new Uint8Array(size).fill(index));
      expect((await server.tls.receive(Buffer.concat([header, data]))).plaintext.length).toBe(size);
      const back = await server.tls.seal(new Uint8Array(size).fill(index + 1));
      expect((await sealing.unwrap(back.subarray(0, 5), back.subarray(5))).length).toBe(size);
    }
  });
});

describe('credSspMechanism', () => {
  const credentials = { userName: 'LAB\\alice', password: PASSWORD };

  it('requires explicit consent, a valid user name and a minimum version from 2 to 6', () => {
    expect(() => credSspMechanism({ credentials, consent: false })).toThrow(/explicit consent/);
    expect(() => credSspMechanism({ credentials: { userName: 'LAB\\', password: 'x' }, consent: true })).toThrow(
      UsageError,
    );
    expect(() => credSspMechanism({ credentials, consent: true, minimumVersion: 7 })).toThrow(/from 2 to 6/);
    expect(credSspMechanism({ credentials, consent: true })).toMatchObject({
      name: 'CredSSP',
      httpScheme: 'CredSSP',
      connectionBound: true,
      canSeal: true,
    });
  });

  it('makes a fresh context per connection whose inner context sees the host name and no channel bindings', async () => {
    const seen: unknown[] = [];
    const mechanism = credSspMechanism({
      credentials,
      consent: true,
      inner: (connection) => (seen.push(connection), new FakeInner()),
    });
    const bindings = Uint8Array.of(1, 2, 3);
    const first = mechanism.newContext({ channelBindings: bindings, targetHostName: 'win-lab.lab.test' });
    const second = mechanism.newContext({ channelBindings: bindings, targetHostName: 'win-lab.lab.test' });
    expect(first).not.toBe(second);
    expect(seen).toEqual([
      { channelBindings: undefined, targetHostName: 'win-lab.lab.test' },
      { channelBindings: undefined, targetHostName: 'win-lab.lab.test' },
    ]);
    const server = new FakeCredSspServer({ version: 6, certificate, password: PASSWORD });
    await authenticate(first, server);
    expect(server.credentials?.userName).toBe('alice');
    expect(second.complete).toBe(false);
  });

  it('offers SPNEGO with NTLM inside by default (a NegTokenInit in the first TSRequest)', async () => {
    const mechanism = credSspMechanism({ credentials, consent: true });
    const context = mechanism.newContext({ channelBindings: undefined, targetHostName: 'win-lab.lab.test' });
    const server = new FakeCredSspServer({ version: 6, certificate, password: PASSWORD });
    let answer = await server.step((await context.step(undefined)).token!);
    while (server.requests.length === 0) answer = await server.step((await context.step(answer.token)).token!);
    const [negoToken] = server.requests[0]!.negoTokens;
    expect(negoToken![0]).toBe(0x60); // GSS InitialContextToken
    expect(Buffer.from(negoToken!).includes(Buffer.from('NTLMSSP\0'))).toBe(true);
  });
});
