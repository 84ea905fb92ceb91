import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptMessage, encryptMessage, isEncryptedContentType } from '../../core/auth/encryption-framing';
import { AuthenticationError as CoreAuthenticationError } from '../../core/auth/authentication-error';
import type { AuthConnectionInfo, AuthContext, AuthStepResult, MessageSealing } from '../../core/auth/mechanism';
import { ProtocolError, UsageError } from '../../core/errors';
import { basicMechanism, certificateMechanism, type AuthMechanism, type TransportAuthContext } from './auth-mechanism';
import { sha256Fingerprint } from './certificates';
import { tlsServerEndPoint } from './channel-bindings';
import { loadPemClientCertificate } from './client-certificate';
import {
  AuthenticationError,
  ConnectError,
  ConnectionLostError,
  EncryptionRequiredError,
  HttpStatusError,
  ReadTimeoutError,
  UntrustedCertificateError,
} from './errors';
import { createTestPki } from '../../e2e/support/pki';
import { StaticTrustStore, StoreTrustPolicy, type TrustAnswer, type TrustRequest } from './trust-policy';
import { WinRMTransport, type WinRMTransportOptions } from './winrm-transport';

const SPNEGO = 'application/HTTP-SPNEGO-session-encrypted';
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const b64 = (value: string) => Buffer.from(value).toString('base64');

/** XOR "sealing" whose 16-byte header carries the direction's sequence number, checked on unwrap. */
function sequencedSealing(): MessageSealing {
  let sent = 0;
  let received = 0;
  return {
    encryptedProtocol: SPNEGO,
    maxChunkBytes: undefined,
    wrap: (plaintext) => {
      const header = new Uint8Array(16);
      new DataView(header.buffer).setUint32(0, sent++, true);
      return { header, data: plaintext.map((byte) => byte ^ 0x5a) };
    },
    unwrap: (header, data) => {
      if (new DataView(header.buffer, header.byteOffset).getUint32(0, true) !== received++) {
        throw new ProtocolError('sequence number out of step');
      }
      return data.map((byte) => byte ^ 0x5a);
    },
  };
}

/**
 * A pretend connection-bound mechanism on the Negotiate scheme: HELLO → 401 CHALLENGE → AUTH:CHALLENGE → 200,
 * or in its mutual form AP-REQ → 200 carrying AP-REP (which the context must see).
 */
class FakeNegotiateContext implements AuthContext {
  readonly mechanismName = 'FakeNegotiate';
  readonly httpScheme = 'Negotiate' as const;
  readonly connectionBound = true;
  sealing: MessageSealing | undefined;
  complete = false;
  #legs = 0;

  constructor(private readonly mutual: boolean) {}

  step(serverToken: Uint8Array | undefined): AuthStepResult {
    const token = serverToken && text(serverToken);
    this.#legs++;
    if (this.#legs === 1) return { kind: 'continue', token: Buffer.from(this.mutual ? 'AP-REQ' : 'HELLO') };
    if (this.mutual) {
      if (token !== 'AP-REP') throw new ProtocolError(`expected AP-REP, got ${token}`);
      return this.#done(undefined);
    }
    if (token?.startsWith('CHALLENGE') !== true) throw new ProtocolError(`expected a challenge, got ${token}`);
    return this.#done(Buffer.from(`AUTH:${token}`));
  }

  #done(token: Uint8Array | undefined): AuthStepResult {
    this.complete = true;
    this.sealing = sequencedSealing();
    return { kind: 'complete', token };
  }
}

function fakeNegotiate(contexts: AuthConnectionInfo[] = [], mutual = false): AuthMechanism {
  return {
    name: 'FakeNegotiate',
    httpScheme: 'Negotiate',
    connectionBound: true,
    canSeal: true,
    newContext: (info) => {
      contexts.push(info);
      return new FakeNegotiateContext(mutual);
    },
  };
}

type ScriptedStep = (serverToken: string | undefined) => AuthStepResult | 'complete';

/** A Negotiate-scheme mechanism whose steps a test scripts; it names LAB\\alice when its credentials are refused. */
function scriptedNegotiate(script: ScriptedStep): AuthMechanism {
  return {
    name: 'Scripted',
    httpScheme: 'Negotiate',
    connectionBound: true,
    canSeal: true,
    newContext: () => {
      const context = {
        mechanismName: 'Scripted',
        httpScheme: 'Negotiate' as const,
        connectionBound: true,
        complete: false,
        sealing: undefined as MessageSealing | undefined,
        step(serverToken: Uint8Array | undefined): AuthStepResult {
          const result = script(serverToken && text(serverToken));
          if (result !== 'complete') return result;
          context.complete = true;
          context.sealing = sequencedSealing();
          return { kind: 'complete', token: undefined };
        },
        credentialsRejected: () => CoreAuthenticationError.credentialsRejected('LAB\\alice', 'Scripted'),
      };
      return context;
    },
  };
}

type Behaviour = 'ok' | 'fault' | 'text-500' | 'not-found' | 'drop' | 'hang' | 'chunked' | 'forget-context';

interface Recorded {
  readonly socket: number;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly body: Buffer;
  /** SHA-256 of the TLS client certificate, when one was presented. */
  readonly clientCertificate: string | undefined;
}

/** A WinRM look-alike on node:http(s): connection-bound fake Negotiate with sealing, Basic, scripted faults. */
class FakeWinRM {
  readonly requests: Recorded[] = [];
  readonly behaviours: Behaviour[] = [];
  readonly sockets: Socket[] = [];
  requireEncryption = true;
  basic = { user: 'alice', password: 'pw' };
  readonly #contexts = new WeakMap<Socket, { sealing: MessageSealing | undefined }>();
  readonly #server: Server;

  constructor(tls?: { key: string; cert: string }) {
    const handler = (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.#handle(request, response, Buffer.concat(chunks)));
    };
    this.#server =
      tls === undefined
        ? createHttpServer(handler)
        : createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: false }, handler);
    this.#server.on(tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) =>
      this.sockets.push(socket),
    );
  }

  async start(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return String((this.#server.address() as AddressInfo).port);
  }

  /** Closes idle keep-alive connections, as HTTP.sys does after its idle timeout. */
  closeIdleConnections(): void {
    this.#server.closeIdleConnections();
  }

  /** Forgets every connection's security context, as the lab's invalidate-auth does. */
  forgetContexts(): void {
    for (const socket of this.sockets) this.#contexts.delete(socket);
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  #handle(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    const socket = request.socket;
    const authorization = request.headers.authorization;
    const contentType = request.headers['content-type'];
    const peer = 'getPeerX509Certificate' in socket ? (socket as TLSSocket).getPeerX509Certificate() : undefined;
    this.requests.push({
      socket: this.sockets.indexOf(socket),
      authorization,
      contentType,
      body,
      clientCertificate: peer && sha256Fingerprint(peer),
    });
    const challenge = () => {
      response.writeHead(401, [
        ['WWW-Authenticate', 'Negotiate'],
        ['WWW-Authenticate', 'Basic realm="WSMAN"'],
        ['Content-Length', '0'],
      ]);
      response.end();
    };
    if (authorization?.startsWith('Negotiate ')) {
      const token = Buffer.from(authorization.slice(10), 'base64').toString();
      if (token === 'HELLO') {
        response.writeHead(401, { 'WWW-Authenticate': `Negotiate ${b64('CHALLENGE-7')}`, 'Content-Length': '0' });
        response.end();
      } else if (token === 'REFUSE-ME') {
        // A final refusal that carries the server's last word (CredSSP: a TSRequest with its errorCode).
        response.writeHead(401, { 'WWW-Authenticate': `Negotiate ${b64('STATUS-C000006D')}`, 'Content-Length': '0' });
        response.end();
      } else if (token === 'AUTH:CHALLENGE-7' || token === 'AP-REQ') {
        this.#contexts.set(socket, { sealing: sequencedSealing() });
        const mutual = token === 'AP-REQ' ? { 'WWW-Authenticate': `Negotiate ${b64('AP-REP')}` } : {};
        response.writeHead(200, { ...mutual, 'Content-Length': '0' });
        response.end();
      } else {
        challenge();
      }
      return;
    }
    let sealing: MessageSealing | undefined;
    if (authorization?.startsWith('Basic ')) {
      if (Buffer.from(authorization.slice(6), 'base64').toString() !== `${this.basic.user}:${this.basic.password}`) {
        return challenge();
      }
    } else {
      const context = this.#contexts.get(socket);
      if (context === undefined) return challenge();
      sealing = context.sealing;
    }
    let soap = body;
    const encrypted = contentType !== undefined && isEncryptedContentType(contentType);
    if (encrypted) soap = Buffer.from(decryptMessage(contentType, body, sealing!));
    else if (sealing !== undefined && this.requireEncryption) {
      response.writeHead(500, { 'Content-Type': 'text/plain' });
      return void response.end('the service refuses unencrypted messages');
    }
    this.#respond(response, this.behaviours.shift() ?? 'ok', soap, encrypted ? sealing : undefined);
  }

  #respond(response: ServerResponse, behaviour: Behaviour, soap: Buffer, sealing: MessageSealing | undefined): void {
    const seal = (status: number, plaintext: string) => {
      const message = sealing && encryptMessage(Buffer.from(plaintext), sealing);
      const body = message?.body ?? Buffer.from(plaintext);
      response.writeHead(status, {
        'Content-Type': message?.contentType ?? 'application/soap+xml;charset=UTF-8',
        'Content-Length': String(body.length),
      });
      return body;
    };
    switch (behaviour) {
      case 'ok':
        return void response.end(seal(200, `<s:Envelope>echo ${text(soap)}</s:Envelope>`));
      case 'fault':
        return void response.end(seal(500, '<s:Envelope><s:Body><s:Fault/></s:Body></s:Envelope>'));
      case 'text-500':
        response.writeHead(500, { 'Content-Type': 'text/plain' });
        return void response.end('internal trouble');
      case 'not-found':
        response.writeHead(404, { 'Content-Length': '0' });
        return void response.end();
      case 'chunked':
        response.writeHead(200, { 'Content-Type': 'application/soap+xml;charset=UTF-8' });
        response.write('<s:Envelope>');
        return void setTimeout(() => response.end(`chunked ${text(soap)}</s:Envelope>`), 10);
      case 'drop': {
        const body = seal(200, `<s:Envelope>${'x'.repeat(200)}</s:Envelope>`);
        response.write(body.subarray(0, body.length / 2));
        return void setTimeout(() => response.socket?.destroy(), 10);
      }
      case 'hang':
        return;
      case 'forget-context':
        this.#contexts.delete(response.req.socket);
        response.writeHead(401, { 'WWW-Authenticate': 'Negotiate', 'Content-Length': '0' });
        return void response.end();
    }
  }
}

const servers: FakeWinRM[] = [];
const transports: WinRMTransport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  for (const server of servers.splice(0)) await server.stop();
});

async function setUp(
  options: Partial<WinRMTransportOptions> & { tls?: WinRMTransportOptions['tls'] } = {},
  serverTls?: { key: string; cert: string },
) {
  const server = new FakeWinRM(serverTls);
  servers.push(server);
  const port = await server.start();
  const transport = new WinRMTransport({
    endpoint: `${serverTls ? 'https' : 'http'}://127.0.0.1:${port}/wsman`,
    mechanism: fakeNegotiate(),
    ...options,
  });
  transports.push(transport);
  return { server, transport };
}

const post = async (transport: WinRMTransport, message: string, idempotent = false) =>
  text((await transport.post(Buffer.from(message), { idempotent })).body);

describe('WinRMTransport over HTTP with a connection-bound mechanism', () => {
  it('authenticates with empty-body legs, then seals every message on the same keep-alive connection', async () => {
    const contexts: AuthConnectionInfo[] = [];
    const { server, transport } = await setUp({ mechanism: fakeNegotiate(contexts), hostName: 'win-lab.lab.test' });
    expect(transport.encrypts).toBe(true);
    for (let index = 0; index < 5; index++) {
      expect(await post(transport, `<request ${index}/>`)).toBe(`<s:Envelope>echo <request ${index}/></s:Envelope>`);
    }
    expect(server.sockets).toHaveLength(1);
    expect(transport.stats).toEqual({ connectionsOpened: 1, authentications: 1, requests: 5, replays: 0 });
    const [hello, auth, ...messages] = server.requests;
    expect(hello!.authorization).toBe(`Negotiate ${b64('HELLO')}`);
    expect(auth!.authorization).toBe(`Negotiate ${b64('AUTH:CHALLENGE-7')}`);
    expect([hello!.body.length, auth!.body.length]).toEqual([0, 0]);
    for (const message of messages) {
      expect(message.authorization).toBeUndefined();
      expect(message.contentType).toBe(`multipart/encrypted;protocol="${SPNEGO}";boundary="Encrypted Boundary"`);
      expect(message.body.includes(Buffer.from('<request'))).toBe(false);
    }
    expect(contexts).toEqual([{ channelBindings: undefined, targetHostName: 'win-lab.lab.test' }]);
  });

  it("feeds the server's token on the final 200 to the context (mutual authentication)", async () => {
    const { transport } = await setUp({ mechanism: fakeNegotiate([], true) });
    expect(await post(transport, 'm')).toBe('<s:Envelope>echo m</s:Envelope>');
  });

  it('feeds a final 200 without a token to a context that still continues after its last token (SPNEGO)', async () => {
    const steps: (string | undefined)[] = [];
    const mechanism = scriptedNegotiate((token) => {
      steps.push(token);
      if (token === undefined && steps.length === 1) return { kind: 'continue', token: Buffer.from('HELLO') };
      if (token === 'CHALLENGE-7') return { kind: 'continue', token: Buffer.from('AUTH:CHALLENGE-7') };
      if (token === undefined) return 'complete';
      throw new ProtocolError(`unexpected ${token}`);
    });
    const { transport } = await setUp({ mechanism });
    expect(await post(transport, 'm')).toBe('<s:Envelope>echo m</s:Envelope>');
    expect(steps).toEqual([undefined, 'CHALLENGE-7', undefined]);
  });

  it("reports a 401 after the final leg as the context's credentialsRejected error", async () => {
    const mechanism = scriptedNegotiate((token) =>
      token === undefined
        ? { kind: 'continue', token: Buffer.from('HELLO') }
        : { kind: 'continue', token: Buffer.from('AUTH:WRONG') },
    );
    const { transport } = await setUp({ mechanism });
    await expect(transport.post(Buffer.from('x'))).rejects.toThrow(
      'the server rejected the credentials of LAB\\alice using Scripted',
    );
  });

  it('reports a 401 to the first leg as the mechanism not being accepted, not as rejected credentials', async () => {
    const mechanism = scriptedNegotiate(() => ({ kind: 'continue', token: Buffer.from('UNKNOWN') }));
    const { transport } = await setUp({ mechanism });
    const error = await transport.post(Buffer.from('x')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/rejected the Scripted authentication/);
  });

  it('re-authenticates on a new connection with a new context when the server forgets the context, replaying once', async () => {
    const contexts: AuthConnectionInfo[] = [];
    const { server, transport } = await setUp({ mechanism: fakeNegotiate(contexts) });
    await post(transport, 'one');
    const before = transport.connection!.id;
    server.behaviours.push('forget-context');
    expect(await post(transport, 'two')).toBe('<s:Envelope>echo two</s:Envelope>');
    expect(transport.connection!.id).not.toBe(before);
    expect(contexts).toHaveLength(2);
    expect(server.sockets).toHaveLength(2);
    expect(transport.stats).toMatchObject({ connectionsOpened: 2, authentications: 2, replays: 1 });
  });

  it('replays an idempotent request once when the connection drops mid-response', async () => {
    const { server, transport } = await setUp();
    await post(transport, 'warm-up');
    server.behaviours.push('drop');
    expect(await post(transport, 'get', true)).toBe('<s:Envelope>echo get</s:Envelope>');
    expect(transport.stats.replays).toBe(1);
  });

  it('replays the retransmission form of a request instead of the original when one is given', async () => {
    const { server, transport } = await setUp();
    await post(transport, 'warm-up');
    server.behaviours.push('drop');
    const options = { idempotent: true, retransmission: Buffer.from('receive again') };
    const response = await transport.post(Buffer.from('receive'), options);
    expect(text(response.body)).toBe('<s:Envelope>echo receive again</s:Envelope>');
    expect(transport.stats.replays).toBe(1);
    // Without a broken response the original is what the server sees.
    expect(text((await transport.post(Buffer.from('receive'), options)).body)).toBe(
      '<s:Envelope>echo receive</s:Envelope>',
    );
  });

  it('does not replay a non-idempotent request when the connection drops mid-response', async () => {
    const { server, transport } = await setUp();
    server.behaviours.push('drop');
    const error = await transport.post(Buffer.from('send')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as ConnectionLostError).mayHaveBeenProcessed).toBe(true);
    expect(await post(transport, 'after')).toBe('<s:Envelope>echo after</s:Envelope>');
  });

  it('reconnects quietly when the server closed the idle keep-alive connection', async () => {
    const { server, transport } = await setUp();
    await post(transport, 'one');
    server.closeIdleConnections();
    await expect.poll(() => transport.connection).toBeUndefined();
    expect(await post(transport, 'two')).toBe('<s:Envelope>echo two</s:Envelope>');
    expect(transport.stats).toMatchObject({ connectionsOpened: 2, replays: 0 });
  });

  it('returns a SOAP fault with status 500, decrypted, for the WS-Man layer', async () => {
    const { server, transport } = await setUp();
    server.behaviours.push('fault');
    const response = await transport.post(Buffer.from('x'));
    expect(response.status).toBe(500);
    expect(response.encrypted).toBe(true);
    expect(text(response.body)).toContain('<s:Fault/>');
  });

  it('reads chunked responses', async () => {
    const { server, transport } = await setUp({ encryption: 'never' });
    server.requireEncryption = false;
    server.behaviours.push('chunked');
    expect(await post(transport, 'c')).toBe('<s:Envelope>chunked c</s:Envelope>');
  });

  it("says the server requires encryption when 'never' meets AllowUnencrypted=false", async () => {
    const { transport } = await setUp({ encryption: 'never' });
    expect(transport.encrypts).toBe(false);
    await expect(transport.post(Buffer.from('x'))).rejects.toThrow(EncryptionRequiredError);
    await expect(transport.post(Buffer.from('x'))).rejects.toThrow(/requires message encryption/);
  });

  it('turns other statuses into errors that say what failed', async () => {
    const { server, transport } = await setUp();
    server.behaviours.push('text-500', 'not-found');
    await expect(transport.post(Buffer.from('x'))).rejects.toThrow(
      /failed to process the request \(HTTP 500.*internal trouble/,
    );
    const notFound = await transport.post(Buffer.from('x')).catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(HttpStatusError);
    expect((notFound as HttpStatusError).status).toBe(404);
    expect((notFound as Error).message).toMatch(/no WS-Management service at .*check the path/);
  });

  it('gives up on a silent server after the read timeout', async () => {
    const { server, transport } = await setUp({ timeouts: { readMs: 300, operationMs: 100 } });
    server.behaviours.push('hang');
    await expect(transport.post(Buffer.from('x'))).rejects.toThrow(ReadTimeoutError);
  });

  it('serializes concurrent posts on the one connection', async () => {
    const { server, transport } = await setUp();
    server.behaviours.push('chunked', 'ok', 'chunked');
    server.requireEncryption = true;
    const answers = await Promise.all(['a', 'b', 'c'].map((message) => post(transport, message)));
    expect(answers.map((answer) => answer.replace(/<\/?s:Envelope>/g, ''))).toEqual([
      'chunked a',
      'echo b',
      'chunked c',
    ]);
    expect(server.sockets).toHaveLength(1);
  });

  it('reports an unreachable port as a ConnectError with advice', async () => {
    const { server, transport } = await setUp();
    await server.stop();
    servers.splice(0);
    await expect(transport.post(Buffer.from('x'))).rejects.toThrow(/connection refused — check the port/);
  });
});

describe('WinRMTransport with Basic', () => {
  it("refuses Basic over HTTP unless encryption 'never' says so explicitly", async () => {
    const mechanism = basicMechanism({ user: 'alice', password: 'pw' });
    expect(() => new WinRMTransport({ endpoint: 'http://h/wsman', mechanism })).toThrow(/clear text.*'never'/);
    expect(() => new WinRMTransport({ endpoint: 'http://h/wsman', mechanism, encryption: 'always' })).toThrow(
      UsageError,
    );
  });

  it('sends the credentials on every request, with no auth legs', async () => {
    const { server, transport } = await setUp({
      mechanism: basicMechanism({ user: 'alice', password: 'pw' }),
      encryption: 'never',
    });
    await post(transport, 'one');
    await post(transport, 'two');
    expect(server.requests.map((request) => request.authorization)).toEqual([
      `Basic ${b64('alice:pw')}`,
      `Basic ${b64('alice:pw')}`,
    ]);
    expect(server.sockets).toHaveLength(1);
  });

  it('reports rejected credentials without retrying', async () => {
    const { server, transport } = await setUp({
      mechanism: basicMechanism({ user: 'alice', password: 'wrong' }),
      encryption: 'never',
    });
    const error = await transport.post(Buffer.from('x')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).offeredSchemes).toEqual(['Negotiate', 'Basic']);
    expect((error as Error).message).toMatch(/rejected the Basic authentication.*AllowUnencrypted=true/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('WinRMTransport construction', () => {
  it('checks timeouts, URLs and mechanism/scheme combinations', () => {
    const mechanism = fakeNegotiate();
    expect(() => new WinRMTransport({ endpoint: 'http://h', mechanism, timeouts: { readMs: 20_000 } })).toThrow(
      /must exceed the operation timeout/,
    );
    expect(() => new WinRMTransport({ endpoint: 'http://u:p@h/wsman', mechanism })).toThrow(/credentials/);
    expect(() => new WinRMTransport({ endpoint: 'ftp://h', mechanism })).toThrow(UsageError);
    expect(() => new WinRMTransport({ endpoint: 'https://h', mechanism })).toThrow(/trust policy/);
    expect(new WinRMTransport({ endpoint: 'http://h:5985', mechanism }).endpoint).toBe('http://h:5985/wsman');
    expect(new WinRMTransport({ endpoint: 'http://[::1]:5985/wsman', mechanism }).hostName).toBe('::1');
    const tls = { trust: new StoreTrustPolicy(new StaticTrustStore()) };
    expect(new WinRMTransport({ endpoint: 'https://h/wsman', mechanism, tls }).encrypts).toBe(false);
    expect(new WinRMTransport({ endpoint: 'https://h/wsman', mechanism, tls, encryption: 'always' }).encrypts).toBe(
      true,
    );
  });
});

describe('WinRMTransport over HTTPS', () => {
  const HOST = 'win-lab.lab.test';
  const pki = createTestPki(HOST);
  const serverTls = { key: pki.leafKey.pem, cert: pki.leaf.pem + pki.issuing.pem };
  const store = (options: ConstructorParameters<typeof StaticTrustStore>[0] = {}) =>
    new StoreTrustPolicy(new StaticTrustStore(options), { systemRoots: false });

  it('accepts a chain to a trusted CA, checks the --host-name, and binds the channel to the leaf', async () => {
    const contexts: AuthConnectionInfo[] = [];
    const { transport, server } = await setUp(
      { mechanism: fakeNegotiate(contexts), hostName: HOST, tls: { trust: store({ caBundle: [pki.root.x509] }) } },
      serverTls,
    );
    server.requireEncryption = false;
    expect(await post(transport, 'hi')).toBe('<s:Envelope>echo hi</s:Envelope>');
    const bindings = tlsServerEndPoint(pki.leaf.der);
    expect(contexts).toEqual([{ channelBindings: bindings, targetHostName: HOST }]);
    expect(transport.connection!.tls).toMatchObject({ trustBasis: 'chain', channelBindings: bindings });
    expect(transport.connection!.tls!.peerCertificate.fingerprintSha256).toBe(sha256Fingerprint(pki.leaf.x509));
  });

  it('asks about an untrusted chain before any request is sent, and remembers an accept for the session', async () => {
    const asked: TrustRequest[] = [];
    let requestsWhenAsked = -1;
    const holder: { server?: FakeWinRM } = {};
    const askTrust = async (request: TrustRequest): Promise<TrustAnswer> => {
      asked.push(request);
      requestsWhenAsked = holder.server!.requests.length;
      return { kind: 'accept-once' };
    };
    const { transport, server } = await setUp({ hostName: HOST, tls: { trust: store(), askTrust } }, serverTls);
    holder.server = server;
    server.requireEncryption = false;
    expect(await post(transport, 'hi')).toBe('<s:Envelope>echo hi</s:Envelope>');
    expect(requestsWhenAsked).toBe(0);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.problems).toEqual(['unknown-issuer']);
    expect(asked[0]!.chain[0]!.fingerprintSha256).toBe(sha256Fingerprint(pki.leaf.x509));
    expect(transport.connection!.tls!.trustBasis).toBe('user');
    server.behaviours.push('drop');
    expect(await post(transport, 'again', true)).toBe('<s:Envelope>echo again</s:Envelope>');
    expect(asked).toHaveLength(1);
  });

  it('fails with the fingerprint when nobody can be asked, or the user declines or names a CA that did not issue it', async () => {
    const { transport } = await setUp({ hostName: HOST, tls: { trust: store() } }, serverTls);
    await expect(transport.post(Buffer.from('x'))).rejects.toThrow(
      new RegExp(`not trusted.*${sha256Fingerprint(pki.leaf.x509)}.*Pin its SHA-256 fingerprint`),
    );
    const declined = await setUp(
      { hostName: HOST, tls: { trust: store(), askTrust: async () => ({ kind: 'reject' }) } },
      serverTls,
    );
    await expect(declined.transport.post(Buffer.from('x'))).rejects.toThrow(UntrustedCertificateError);
    expect(declined.server.requests).toHaveLength(0);
    const otherCa = createTestPki('elsewhere').root.x509;
    const wrongCa = await setUp(
      { hostName: HOST, tls: { trust: store(), askTrust: async () => ({ kind: 'trust-ca', certificate: otherCa }) } },
      serverTls,
    );
    await expect(wrongCa.transport.post(Buffer.from('x'))).rejects.toThrow(/did not issue this certificate/);
  });

  it('accepts a "trust the issuing CA" answer naming the CA of the chain', async () => {
    const askTrust = async (): Promise<TrustAnswer> => ({ kind: 'trust-ca', certificate: pki.issuing.x509 });
    const { transport, server } = await setUp({ hostName: HOST, tls: { trust: store(), askTrust } }, serverTls);
    server.requireEncryption = false;
    expect(await post(transport, 'hi')).toBe('<s:Envelope>echo hi</s:Envelope>');
  });

  it('sends a client certificate and the certificate profile header on every request', async () => {
    const certificate = loadPemClientCertificate({ certificate: pki.clientOnly.pem, privateKey: pki.leafKey.pem });
    const { transport, server } = await setUp(
      {
        hostName: HOST,
        mechanism: certificateMechanism(certificate),
        tls: { trust: store({ caBundle: [pki.root.x509] }) },
      },
      serverTls,
    );
    server.behaviours.push('ok');
    // The fake server has no certificate mapping: it answers 401, which reports the mapping hint.
    await expect(transport.post(Buffer.from('x'))).rejects.toThrow(/certmapping/);
    expect(server.requests[0]!.clientCertificate).toBe(sha256Fingerprint(pki.clientOnly.x509));
    expect(server.requests[0]!.authorization).toBe(
      'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual',
    );
    expect(
      () => new WinRMTransport({ endpoint: 'http://h/wsman', mechanism: certificateMechanism(certificate) }),
    ).toThrow(/needs HTTPS/);
  });

  it('reports a TLS handshake against a plain HTTP port plainly', async () => {
    const { server } = await setUp();
    const port = await (async () => {
      const plain = new FakeWinRM();
      servers.push(plain);
      return plain.start();
    })();
    void server;
    const transport = new WinRMTransport({
      endpoint: `https://127.0.0.1:${port}/wsman`,
      mechanism: fakeNegotiate(),
      tls: { trust: store() },
    });
    transports.push(transport);
    const error = await transport.post(Buffer.from('x')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as Error).message).toMatch(/does not speak TLS/);
  });
});

describe('WinRMTransport with a context whose steps and sealing are asynchronous (CredSSP runs a TLS engine)', () => {
  /** Settles a macrotask later, as a step through Node's event-driven TLS does. */
  const later = <T>(value: () => T): Promise<T> =>
    new Promise((resolve, reject) =>
      setImmediate(() => {
        try {
          resolve(value());
        } catch (error) {
          reject(error as Error);
        }
      }),
    );

  function asyncNegotiate(script?: (token: string | undefined) => AuthStepResult): AuthMechanism<TransportAuthContext> {
    return {
      name: 'AsyncNegotiate',
      httpScheme: 'Negotiate',
      connectionBound: true,
      canSeal: true,
      newContext: () => {
        const inner = new FakeNegotiateContext(false);
        return {
          mechanismName: 'AsyncNegotiate',
          httpScheme: 'Negotiate',
          connectionBound: true,
          get complete() {
            return inner.complete;
          },
          step: (token) => later(() => (script ? script(token && text(token)) : inner.step(token))),
          get sealing() {
            const sealing = inner.sealing;
            return (
              sealing && {
                encryptedProtocol: sealing.encryptedProtocol,
                maxChunkBytes: 7,
                wrap: (plaintext: Uint8Array) => later(() => sealing.wrap(plaintext)),
                unwrap: (header: Uint8Array, data: Uint8Array) => later(() => sealing.unwrap(header, data)),
              }
            );
          },
          credentialsRejected: (token) => later(() => new Error(`refused with ${token && text(token)}`)),
        };
      },
    };
  }

  it('awaits every step, wrap and unwrap, in order, for concurrent posts', async () => {
    const { server, transport } = await setUp({ mechanism: asyncNegotiate() });
    const messages = Array.from({ length: 6 }, (_, index) => `<request ${index}/>`);
    const answers = await Promise.all(messages.map((message) => post(transport, message)));
    expect(answers).toEqual(messages.map((message) => `<s:Envelope>echo ${message}</s:Envelope>`));
    const [hello, auth, ...sealed] = server.requests;
    expect([hello!.authorization, auth!.authorization]).toEqual([
      `Negotiate ${b64('HELLO')}`,
      `Negotiate ${b64('AUTH:CHALLENGE-7')}`,
    ]);
    // 7-byte chunks: every message went as several parts, sealed in sequence.
    for (const message of sealed) expect(message.contentType).toMatch(/^multipart\/x-multi-encrypted;/);
    expect(transport.stats).toEqual({ connectionsOpened: 1, authentications: 1, requests: 6, replays: 0 });
  });

  it("hands the rejecting 401's token to credentialsRejected and reports what it makes of it", async () => {
    const mechanism = asyncNegotiate((token) =>
      token === undefined
        ? { kind: 'continue', token: Buffer.from('HELLO') }
        : { kind: 'complete', token: Buffer.from('REFUSE-ME') },
    );
    const { transport } = await setUp({ mechanism });
    await expect(transport.post(Buffer.from('x'))).rejects.toThrow('refused with STATUS-C000006D');
  });
});
