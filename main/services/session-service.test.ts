import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../core/contract/contract-error';
import { hostProfileSchema, type HostProfileInput } from '../../core/contract/host-profile';
import type { SessionSummary } from '../../core/contract/session-service';
import type { HostTrust } from '../../core/contract/trust';
import { createTestPki } from '../../e2e/support/pki';
import type { TrustAnswer, TrustRequest } from '../transport';
import { connectionFromProfile, endpointOf, needsSecret, UnsupportedProfileError } from './session-connection';
import { SessionServiceImpl } from './session-service';
import {
  CLIENT_KEY_PASSPHRASE,
  newClientCertificate,
  writeClientCertificateFile,
} from './test-support/client-certificate-file';
import { temporaryDirectory } from './test-support/temporary-app';

const HOST_ID = '6c2b1d4e-8f3a-4b5c-9d6e-7f8a9b0c1d2e';

const profile = (settings: Partial<HostProfileInput> = {}) =>
  hostProfileSchema.parse({
    id: HOST_ID,
    name: 'web01',
    address: 'web01.corp.example',
    user: 'CORP\\alice',
    ...settings,
  });

interface ServiceOptions {
  /** The stored secret, read at each connect (a keychain that refuses throws). */
  readonly secret?: () => string | undefined;
  /** What the user answers in the trust dialog (the renderer's part: a person, so it is stood in for here). */
  readonly trustAnswer?: TrustAnswer;
  readonly hostTrust?: HostTrust;
}

function service(host = profile({ transport: 'http' }), options: ServiceOptions = {}) {
  const states: SessionSummary[] = [];
  const trustRequests: TrustRequest[] = [];
  const sessions = new SessionServiceImpl({
    hosts: {
      host: (id) => {
        if (id !== host.id) throw new ContractError('not-found', 'no host');
        return host;
      },
      markUsed: async () => undefined,
    },
    credentials: { secretFor: async () => options.secret?.() },
    trust: {
      requestDecision: async (_hostId, request) => {
        trustRequests.push(request);
        return options.trustAnswer ?? { kind: 'reject' };
      },
    },
    hostTrust: () => options.hostTrust ?? { pinnedSha256: [], authorities: [] },
    newId: randomUUID,
  });
  sessions.onDidChangeSessionState((summary) => states.push(summary));
  return { sessions, states, trustRequests };
}

/** A port that closes every connection at once (the transport fails fast and plainly), counting them. */
async function closingPort(): Promise<{ port: number; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server, connections: () => connections };
}

describe('connection settings from a saved host', () => {
  it('builds the endpoint, bracketing IPv6 addresses', () => {
    expect(endpointOf(profile({ address: '::1', transport: 'http' }))).toBe('http://[::1]:5985/wsman');
    expect(endpointOf(profile({ port: 15986 }))).toBe('https://web01.corp.example:15986/wsman');
  });

  it('asks for a secret only for password methods', () => {
    expect(needsSecret(profile({ auth: 'basic' }))).toBe(true);
    expect(needsSecret(profile({ auth: 'kerberos' }))).toBe(false);
  });

  it('carries the host name override, encryption, timeouts and envelope size, with TLS only over HTTPS', async () => {
    const askTrust = async () => ({ kind: 'reject' }) as const;
    const inputs = { secret: 'pw', trust: { pinnedSha256: [], authorities: [] }, askTrust };
    const https = await connectionFromProfile({
      ...inputs,
      host: profile({
        address: '127.0.0.1',
        auth: 'ntlm',
        advanced: { spnHostname: 'win-lab.lab.test', messageEncryption: 'always', maxEnvelopeSizeKiB: 500 },
      }),
    });
    expect(https.transport).toMatchObject({
      endpoint: 'https://127.0.0.1:5986/wsman',
      hostName: 'win-lab.lab.test',
      encryption: 'always',
      timeouts: { connectMs: 30_000, readMs: 30_000, operationMs: 20_000 },
    });
    expect(https.transport.tls?.askTrust).toBe(askTrust);
    expect(https.maxEnvelopeSize).toBe(500 * 1024);
    const http = await connectionFromProfile({ ...inputs, host: profile({ transport: 'http', auth: 'ntlm' }) });
    expect(http.transport.tls).toBeUndefined();
  });

  it('refuses what the app cannot do yet with a sentence', async () => {
    const inputs = {
      secret: 'pw',
      trust: { pinnedSha256: [], authorities: [] },
      askTrust: async () => ({ kind: 'reject' }) as const,
    };
    await expect(
      connectionFromProfile({ ...inputs, host: profile({ advanced: { proxyUrl: 'https://proxy:3128' } }) }),
    ).rejects.toThrow(UnsupportedProfileError);
  });
});

describe('SessionServiceImpl', () => {
  it('over HTTP, waits for credentials at once without a secret and resumes that session when asked by id', async () => {
    const { sessions, states } = service();
    const first = await sessions.connect({ hostId: HOST_ID });
    expect(first).toMatchObject({ hostId: HOST_ID, state: 'awaiting-credentials' });
    const second = await sessions.connect({ hostId: HOST_ID, sessionId: first.sessionId });
    expect(second.sessionId).toBe(first.sessionId);
    expect(await sessions.list()).toEqual([second]);
    // Still no secret: resumed, it waits again.
    expect(states.map((state) => state.state)).toEqual(['awaiting-credentials', 'connecting', 'awaiting-credentials']);
    await expect(sessions.submit({ sessionId: first.sessionId, text: 'Get-Date' })).rejects.toMatchObject({
      code: 'invalid-input',
    });
    await sessions.disconnect({ sessionId: first.sessionId });
    expect(await sessions.list()).toEqual([]);
    await expect(sessions.interrupt({ sessionId: first.sessionId })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('reports a connection that fails as a failed session with a plain message', async () => {
    const { port, server } = await closingPort();
    try {
      const host = profile({ address: '127.0.0.1', port, transport: 'http', auth: 'ntlm' });
      const { sessions, states } = service(host, { secret: () => 'secret' });
      const summary = await sessions.connect({ hostId: HOST_ID });
      expect(summary.state).toBe('connecting');
      await expect.poll(() => states.at(-1)?.state).toBe('failed');
      expect(states.at(-1)?.error?.message).toMatch(/^Could not connect: \S/);
      expect(JSON.stringify(states)).not.toContain('secret');
    } finally {
      server.close();
    }
  });

  it('opens a new session on a connect without a session id, even while another one of the host waits', async () => {
    const { sessions } = service();
    const waiting = await sessions.connect({ hostId: HOST_ID });
    const fresh = await sessions.connect({ hostId: HOST_ID });
    expect(fresh.sessionId).not.toBe(waiting.sessionId);
    expect((await sessions.list()).map((summary) => summary.state)).toEqual([
      'awaiting-credentials',
      'awaiting-credentials',
    ]);
    await expect(
      sessions.connect({ hostId: HOST_ID, sessionId: '0b5c2f52-5d2b-4c3a-9a34-6f0c8d1e2f30' }),
    ).rejects.toMatchObject({ code: 'not-found' });
    await sessions.closeAll();
  });

  it('resumes a waiting session once when two connects ask for it at once, opening one connection', async () => {
    const { port, server, connections } = await closingPort();
    try {
      let secret: string | undefined = undefined;
      const host = profile({ address: '127.0.0.1', port, transport: 'http', auth: 'ntlm' });
      const { sessions, states } = service(host, { secret: () => secret });
      const { sessionId } = await sessions.connect({ hostId: HOST_ID });
      secret = 'secret';
      // A double sign-in: both calls are under way before either has read the secret.
      const [first, second] = await Promise.all([
        sessions.connect({ hostId: HOST_ID, sessionId }),
        sessions.connect({ hostId: HOST_ID, sessionId }),
      ]);
      expect([first.sessionId, second.sessionId]).toEqual([sessionId, sessionId]);
      await expect.poll(() => states.at(-1)?.state).toBe('failed');
      expect(states.map((state) => state.state)).toEqual(['awaiting-credentials', 'connecting', 'failed']);
      expect(connections()).toBe(1);
      await sessions.closeAll();
    } finally {
      server.close();
    }
  });

  it('fails the session with a sentence about the keychain when the secret cannot be read', async () => {
    const { sessions, states } = service(profile({ transport: 'http' }), {
      secret: () => {
        throw new ContractError('keychain-unavailable', 'The system keychain could not be used.', {
          details: 'could not get the keychain entry: the collection is locked',
        });
      },
    });
    const summary = await sessions.connect({ hostId: HOST_ID });
    expect(summary.state).toBe('failed');
    expect(summary.error).toMatchObject({
      code: 'keychain-unavailable',
      message: expect.stringMatching(/^Could not connect: the password could not be read from the system keychain\. /),
      details: 'could not get the keychain entry: the collection is locked',
    });
    // Listed as failed, never stuck connecting (a reloaded page shows the reason in the tab).
    expect(await sessions.list()).toEqual([summary]);
    expect(states).toEqual([summary]);
    await sessions.closeAll();
  });

  describe('over HTTPS without a stored secret, the certificate is decided before the password is asked for', () => {
    const HOST_NAME = 'win-lab.lab.test';
    const pki = createTestPki(HOST_NAME);

    /**
     * A real TLS server presenting the test PKI's chain for HOST_NAME, whose root nobody trusts yet; it answers
     * every HTTP request with a 401 without a challenge, so a session that gets past TLS fails authenticating.
     * The host signs in with NTLM unless `settings` say otherwise.
     */
    async function withServer(
      test: (host: ReturnType<typeof profile>, requests: () => number) => Promise<void>,
      settings: Partial<HostProfileInput> = {},
    ) {
      let requests = 0;
      const server = createHttpsServer(
        { key: pki.leafKey.pem, cert: pki.leaf.pem + pki.issuing.pem },
        (_, response) => {
          requests++;
          response.writeHead(401, { 'Content-Length': '0' }).end();
        },
      );
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const { port } = server.address() as AddressInfo;
        await test(
          profile({ address: '127.0.0.1', port, auth: 'ntlm', advanced: { spnHostname: HOST_NAME }, ...settings }),
          () => requests,
        );
      } finally {
        server.closeAllConnections();
        server.close();
      }
    }

    /**
     * Connects without the secret (`finalSecret` missing), expects the trust question first and then the wait for
     * the secret, sets it and resumes the session by id: the "trust once" answer, stored nowhere but in the
     * session, is not asked again, and requests reach the server (its 401 fails the session).
     */
    async function expectTrustBeforeSecret(finalSecret: string, settings: Partial<HostProfileInput> = {}) {
      await withServer(async (host, requests) => {
        let secret: string | undefined = undefined; // none stored yet
        const { sessions, states, trustRequests } = service(host, {
          secret: () => secret,
          trustAnswer: { kind: 'accept-once' },
        });
        const first = await sessions.connect({ hostId: HOST_ID });
        expect(first.state).toBe('connecting');
        await expect.poll(() => states.at(-1)?.state).toBe('awaiting-credentials');
        expect(states.map((state) => state.state)).toEqual([
          'connecting',
          'awaiting-trust',
          'connecting',
          'awaiting-credentials',
        ]);
        expect(trustRequests).toHaveLength(1);
        expect(trustRequests[0]).toMatchObject({ hostName: HOST_NAME, problems: ['unknown-issuer'] });
        expect(requests()).toBe(0); // the handshake only: nothing was sent, no credentials offered

        secret = finalSecret;
        const second = await sessions.connect({ hostId: HOST_ID, sessionId: first.sessionId });
        expect(second.sessionId).toBe(first.sessionId);
        await expect.poll(() => states.at(-1)?.state).toBe('failed');
        expect(requests()).toBeGreaterThan(0);
        expect(trustRequests).toHaveLength(1);
        expect(states.slice(4).map((state) => state.state)).toEqual(['connecting', 'failed']);
        await sessions.closeAll();
      }, settings);
    }

    it('asks about an untrusted certificate first and, once the secret is set, does not ask again', async () => {
      await expectTrustBeforeSecret('secret');
    });

    it('fails the session with the usual sentence when the certificate is rejected, never asking for the password', async () => {
      await withServer(async (host, requests) => {
        const { sessions, states, trustRequests } = service(host, { trustAnswer: { kind: 'reject' } });
        await sessions.connect({ hostId: HOST_ID });
        await expect.poll(() => states.at(-1)?.state).toBe('failed');
        expect(states.map((state) => state.state)).toEqual(['connecting', 'awaiting-trust', 'connecting', 'failed']);
        expect(states.at(-1)?.error?.message).toMatch(
          /^Could not connect: the TLS certificate of win-lab\.lab\.test is not trusted: .* You declined it\.$/,
        );
        expect(trustRequests).toHaveLength(1);
        expect(requests()).toBe(0);
        await sessions.closeAll();
      });
    });

    it('asks about an untrusted certificate before the passphrase of an encrypted client key, and not again after', async () => {
      const { certificate, encryptedKey } = newClientCertificate();
      const { directory, removeDirectory } = await temporaryDirectory();
      try {
        const clientCertificate = await writeClientCertificateFile(
          directory,
          'alice.pem',
          certificate.pem + encryptedKey,
        );
        // With the passphrase the key is decrypted and a request sent.
        await expectTrustBeforeSecret(CLIENT_KEY_PASSPHRASE, {
          auth: 'certificate',
          advanced: { spnHostname: HOST_NAME, clientCertificate },
        });
      } finally {
        await removeDirectory();
      }
    });

    it('goes straight to the password for a certificate the stored trust vouches for', async () => {
      await withServer(async (host) => {
        const hostTrust: HostTrust = {
          pinnedSha256: [],
          authorities: [
            {
              scope: { kind: 'host', hostId: HOST_ID },
              sha256: 'ab'.repeat(32),
              subject: 'Test Root CA',
              pem: pki.root.pem,
            },
          ],
        };
        const { sessions, states, trustRequests } = service(host, { hostTrust });
        await sessions.connect({ hostId: HOST_ID });
        await expect.poll(() => states.at(-1)?.state).toBe('awaiting-credentials');
        expect(states.map((state) => state.state)).toEqual(['connecting', 'awaiting-credentials']);
        expect(trustRequests).toEqual([]);
        await sessions.closeAll();
      });
    });
  });

  it('refuses acknowledgements of events not sent', async () => {
    const { sessions } = service();
    const { sessionId } = await sessions.connect({ hostId: HOST_ID });
    await expect(sessions.acknowledgeOutput({ sessionId, sequence: 1 })).rejects.toMatchObject({
      code: 'invalid-input',
    });
    expect(sessions.unacknowledgedCharacters(sessionId)).toBe(0);
  });

  it('attaches a terminal to a session it knows, before any output too', async () => {
    const { sessions } = service();
    const { sessionId } = await sessions.connect({ hostId: HOST_ID });
    await sessions.attachTerminal({ sessionId });
    expect(sessions.unacknowledgedCharacters(sessionId)).toBe(0);
    await sessions.disconnect({ sessionId });
    await expect(sessions.attachTerminal({ sessionId })).rejects.toMatchObject({ code: 'not-found' });
  });
});
