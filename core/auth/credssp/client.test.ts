import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidStateError, ProtocolError, UsageError } from '../../errors';
import { NtlmInitiator } from '../ntlm/initiator';
import { fromHex, hex, scriptedRandom } from '../ntlm/test-support/bytes';
import { startGssAcceptor, type GssAcceptor } from '../ntlm/test-support/gss-acceptor';
import { CREDSSP_VERSION, CredSspClient, type CredSspClientOptions } from './client';
import { CredSspBindingError, CredSspMessageError, CredSspRefusedError, CredSspVersionError } from './errors';
import { gssUnwrap, gssWrap, spnegoInnerContext, type CredSspInnerContext } from './inner-context';
import { clientBindingValue, serverBindingValue } from './public-key-binding';
import { FakeInner, fakeInnerAnswer, sequencedSealing } from './test-support/fake-inner';
import {
  decodePasswordCreds,
  decodeTsCredentials,
  decodeTsRequest,
  encodeTsRequest,
  type TsRequest,
} from './ts-request';

const PUBLIC_KEY = fromHex('3082010a0282010100c0ffee');
const NONCE = new Uint8Array(32).fill(0x4e);
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString();

/** The server side of the fake mechanism: its own sequence numbers, in the other direction. */
const serverSealing = sequencedSealing;

function client(options: Partial<CredSspClientOptions> & { inner?: CredSspInnerContext } = {}) {
  const inner = options.inner ?? new FakeInner('ntlm');
  const credssp = new CredSspClient({
    credentials: { userName: 'LAB\\alice', password: 'Secret-123' },
    randomBytes: scriptedRandom(NONCE),
    ...options,
    inner,
  });
  return { credssp, inner };
}

const serverRequest = (fields: Partial<TsRequest> & { version?: number }) =>
  encodeTsRequest({ version: 6, negoTokens: [], ...fields });

/**
 * A CredSSP server of `version` over the fake mechanism, answering the client's TSRequests and keeping what it
 * saw: HELLO → CHALLENGE, AP-REQ → AP-REP, pubKeyAuth checked and answered, authInfo opened.
 */
class FakeServer {
  readonly seen: TsRequest[] = [];
  readonly sealing = serverSealing();
  credentials: ReturnType<typeof decodePasswordCreds> | undefined;

  constructor(
    readonly version: number,
    private readonly answerBinding: (expected: Uint8Array) => Uint8Array = (expected) => expected,
  ) {}

  answer(requestBytes: Uint8Array): Uint8Array | undefined {
    const request = decodeTsRequest(requestBytes);
    this.seen.push(request);
    const [token] = request.negoTokens;
    if (request.authInfo !== undefined) {
      const credentials = decodeTsCredentials(gssUnwrap(this.sealing, request.authInfo));
      this.credentials = decodePasswordCreds(credentials.credentials);
      return undefined;
    }
    if (request.pubKeyAuth !== undefined) {
      const nonce = this.version >= 5 ? request.clientNonce : undefined;
      expect(hex(gssUnwrap(this.sealing, request.pubKeyAuth))).toBe(
        hex(clientBindingValue(this.version, PUBLIC_KEY, nonce)),
      );
      const binding = this.answerBinding(serverBindingValue(this.version, PUBLIC_KEY, nonce));
      return serverRequest({ version: this.version, pubKeyAuth: gssWrap(this.sealing, binding) });
    }
    return serverRequest({ version: this.version, negoTokens: [Buffer.from(fakeInnerAnswer(token!))] });
  }
}

/** Drives the client against `server` until it sends its credentials; returns the number of TSRequests sent. */
function run(credssp: CredSspClient, server: FakeServer): number {
  let answer = server.answer(credssp.start(PUBLIC_KEY));
  let sent = 1;
  while (answer !== undefined) {
    const output = credssp.receive(answer);
    sent++;
    answer = server.answer(output.request);
    expect(output.last).toBe(answer === undefined);
  }
  return sent;
}

describe('CredSspClient', () => {
  it('with a version 6 server: the last inner token travels with the nonce and pubKeyAuth, then the password', () => {
    const { credssp } = client();
    const server = new FakeServer(6);
    expect(run(credssp, server)).toBe(3);
    const [first, binding, delegation] = server.seen;
    expect(first!.version).toBe(CREDSSP_VERSION);
    expect(first!.negoTokens.map(text)).toEqual(['HELLO']);
    expect(binding!.negoTokens.map(text)).toEqual(['AUTH:CHALLENGE']);
    expect(hex(binding!.clientNonce!)).toBe(hex(NONCE));
    expect(delegation).toMatchObject({ version: 6, negoTokens: [] });
    expect(delegation).not.toHaveProperty('pubKeyAuth');
    expect(server.credentials).toEqual({ domainName: 'LAB', userName: 'alice', password: 'Secret-123' });
    expect(credssp.complete).toBe(true);
    expect(credssp.negotiatedVersion).toBe(6);
  });

  it.each([2, 3, 4])(
    'with a version %i server: no nonce, the key itself, and the first-byte-plus-one answer',
    (version) => {
      const { credssp } = client({ randomBytes: () => expect.unreachable('no nonce below version 5') });
      const server = new FakeServer(version);
      run(credssp, server);
      expect(server.seen[1]).not.toHaveProperty('clientNonce');
      expect(credssp.negotiatedVersion).toBe(version);
      expect(server.credentials?.password).toBe('Secret-123');
    },
  );

  it('negotiates 6 with a newer server and 5 with a version 5 server, both with the nonce binding', () => {
    for (const [serverVersion, negotiated] of [
      [9, 6],
      [5, 5],
    ] as const) {
      const { credssp } = client();
      const server = new FakeServer(negotiated);
      let answer = server.answer(credssp.start(PUBLIC_KEY))!;
      answer = encodeTsRequest({ ...decodeTsRequest(answer), version: serverVersion });
      const binding = decodeTsRequest(credssp.receive(answer).request);
      expect(hex(binding.clientNonce!)).toBe(hex(NONCE));
      expect(credssp.negotiatedVersion).toBe(negotiated);
    }
  });

  it('sends pubKeyAuth alone when the inner mechanism completes on the server token without answering (Kerberos)', () => {
    const { credssp } = client({ inner: new FakeInner('kerberos') });
    const server = new FakeServer(6);
    expect(run(credssp, server)).toBe(3);
    expect(server.seen[1]).toMatchObject({ negoTokens: [] });
    expect(server.seen[1]!.pubKeyAuth).toBeDefined();
    expect(server.credentials?.userName).toBe('alice');
  });

  it('sends a UPN whole as the user name with an empty domain', () => {
    const { credssp } = client({ credentials: { userName: 'alice@lab.test', password: 'pw' } });
    const server = new FakeServer(6);
    run(credssp, server);
    expect(server.credentials).toEqual({ domainName: '', userName: 'alice@lab.test', password: 'pw' });
  });
});

describe('CredSspClient failures', () => {
  it('refuses a server below the minimum version before any binding or credential is sent', () => {
    const { credssp, inner } = client({ minimumVersion: 5 });
    const server = new FakeServer(3);
    const error = (() => {
      try {
        run(credssp, server);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(CredSspVersionError);
    expect((error as Error).message).toMatch(/version 3, below the minimum of 5.*CVE-2018-0886/);
    expect(server.seen).toHaveLength(1);
    expect((inner as FakeInner).received).toEqual([undefined]);
    expect(credssp.state).toBe('failed');
    expect(() => credssp.receive(serverRequest({}))).toThrow(InvalidStateError);
  });

  it('reports the errorCode as the NTSTATUS it is, naming the user', () => {
    const { credssp } = client();
    credssp.start(PUBLIC_KEY);
    const error = (() => {
      try {
        credssp.receive(serverRequest({ errorCode: 0xc000006d }));
      } catch (caught) {
        return caught as CredSspRefusedError;
      }
    })();
    expect(error).toBeInstanceOf(CredSspRefusedError);
    expect(error!.failure).toBe('credentials-rejected');
    expect(error!.status).toBe(0xc000006d);
    expect(error!.message).toBe(
      'the server rejected the credentials of LAB\\alice using CredSSP (STATUS_LOGON_FAILURE, 0xC000006D: ' +
        'the user name or password is incorrect): check the user name, its domain and the password',
    );
    const other = client().credssp;
    other.start(PUBLIC_KEY);
    expect(() => other.receive(serverRequest({ errorCode: 0xc00000bb }))).toThrow(
      /refused CredSSP authentication of LAB\\alice \(STATUS_NOT_SUPPORTED, 0xC00000BB/,
    );
    const unknown = client().credssp;
    unknown.start(PUBLIC_KEY);
    expect(() => unknown.receive(serverRequest({ errorCode: 0x12345 }))).toThrow(/\(status 0x00012345\)/);
  });

  it('does not send the password when the server binding is wrong (a machine in the middle)', () => {
    const { credssp } = client();
    const server = new FakeServer(6, (expected) => expected.map((byte) => byte ^ 1));
    expect(() => run(credssp, server)).toThrow(CredSspBindingError);
    expect(server.seen).toHaveLength(2);
    expect(server.credentials).toBeUndefined();
    expect(credssp.state).toBe('failed');
  });

  it('also refuses the version 2 server that echoes the key without adding one', () => {
    const { credssp } = client();
    const server = new FakeServer(2, (expected) => Uint8Array.from([expected[0]! - 1, ...expected.subarray(1)]));
    expect(() => run(credssp, server)).toThrow(CredSspBindingError);
  });

  it('refuses TSRequests that do not fit the exchange with typed errors', () => {
    const noToken = client().credssp;
    noToken.start(PUBLIC_KEY);
    expect(() => noToken.receive(serverRequest({}))).toThrow(CredSspMessageError);

    const noBinding = client().credssp;
    noBinding.start(PUBLIC_KEY);
    noBinding.receive(serverRequest({ negoTokens: [Buffer.from('CHALLENGE')] }));
    expect(() => noBinding.receive(serverRequest({}))).toThrow(/without its own pubKeyAuth/);

    const extraToken = client().credssp;
    extraToken.start(PUBLIC_KEY);
    extraToken.receive(serverRequest({ negoTokens: [Buffer.from('CHALLENGE')] }));
    expect(() => extraToken.receive(serverRequest({ negoTokens: [Buffer.from('more')] }))).toThrow(
      /negoToken after Fake authentication completed/,
    );

    const garbage = client().credssp;
    garbage.start(PUBLIC_KEY);
    expect(() => garbage.receive(Uint8Array.of(0x30, 0x80))).toThrow(ProtocolError);
    expect(garbage.state).toBe('failed');
  });

  it('is used in order: start once, receive only while the exchange runs', () => {
    const { credssp } = client();
    expect(() => credssp.receive(serverRequest({}))).toThrow(InvalidStateError);
    credssp.start(PUBLIC_KEY);
    expect(() => credssp.start(PUBLIC_KEY)).toThrow(InvalidStateError);
  });

  it.each([1, 7, 4.5])('refuses a minimum version of %s', (minimumVersion) => {
    expect(() => client({ minimumVersion })).toThrow(UsageError);
  });
});

describe('CredSspClient with SPNEGO (NTLM) inside, against MIT SPNEGO with gss-ntlmssp', () => {
  // The order PROTOCOL.md §5.4 requires: AUTHENTICATE + mechListMIC travel with pubKeyAuth; the server's
  // mechListMIC is verified before its pubKeyAuth is unwrapped; the NTLM sequence numbers run on.
  let acceptor: GssAcceptor | undefined;
  afterEach(async () => {
    await acceptor?.close();
    acceptor = undefined;
  });

  it('authenticates, binds and delegates through a real acceptor', async () => {
    acceptor = await startGssAcceptor({ mech: 'spnego', host: 'win-lab.lab.test', users: ['LAB:alice:Secret-123'] });
    const inner = spnegoInnerContext([
      new NtlmInitiator({
        credentials: { userName: 'LAB\\alice', password: 'Secret-123' },
        connection: { channelBindings: undefined, targetHostName: 'win-lab.lab.test' },
        randomBytes: (length) => Uint8Array.from(randomBytes(length)),
        now: () => Date.now(),
      }),
    ]);
    const { credssp } = client({ inner, randomBytes: (length) => Uint8Array.from(randomBytes(length)) });

    const hello = decodeTsRequest(credssp.start(PUBLIC_KEY));
    const challenge = await acceptor.accept(hello.negoTokens[0]!);
    expect(challenge.status).toBe('continue');
    const binding = decodeTsRequest(credssp.receive(serverRequest({ negoTokens: [challenge.token!] })).request);
    expect(inner.complete).toBe(false); // SPNEGO waits for the server's mechListMIC
    const accepted = await acceptor.accept(binding.negoTokens[0]!);
    expect(accepted).toMatchObject({ status: 'complete', initiator: 'LAB\\alice' });
    const clientValue = await acceptor.unwrap(binding.pubKeyAuth!);
    expect(clientValue.sealed).toBe(true);
    expect(hex(clientValue.plaintext)).toBe(hex(clientBindingValue(6, PUBLIC_KEY, binding.clientNonce)));

    const serverValue = await acceptor.wrap(serverBindingValue(6, PUBLIC_KEY, binding.clientNonce));
    const final = credssp.receive(serverRequest({ negoTokens: [accepted.token!], pubKeyAuth: serverValue }));
    expect(inner.complete).toBe(true);
    const authInfo = decodeTsRequest(final.request).authInfo!;
    const opened = await acceptor.unwrap(authInfo);
    expect(decodePasswordCreds(decodeTsCredentials(opened.plaintext).credentials)).toEqual({
      domainName: 'LAB',
      userName: 'alice',
      password: 'Secret-123',
    });
  });
});

describe('CredSspClient.rejection (a 401 that ends the exchange)', () => {
  it("reads the server's last TSRequest in any state, and names the user either way", () => {
    const { credssp } = client();
    run(credssp, new FakeServer(6));
    expect(credssp.complete).toBe(true);
    const refused = credssp.rejection(serverRequest({ errorCode: 0xc0000234 }));
    expect(refused).toBeInstanceOf(CredSspRefusedError);
    expect(refused.message).toMatch(/credentials of LAB\\alice using CredSSP \(STATUS_ACCOUNT_LOCKED_OUT/);
    expect(credssp.rejection(undefined).message).toMatch(
      /^the server rejected the credentials of LAB\\alice using CredSSP:/,
    );
    expect(credssp.rejection(serverRequest({ errorCode: 0 }))).not.toBeInstanceOf(CredSspRefusedError);
    expect(() => credssp.rejection(Uint8Array.of(1, 2))).toThrow(ProtocolError);
  });
});
