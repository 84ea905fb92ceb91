import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../core/contract/contract-error';
import { hostProfileSchema, type HostProfileInput } from '../../core/contract/host-profile';
import type { SessionSummary } from '../../core/contract/session-service';
import { connectionFromProfile, endpointOf, needsSecret, UnsupportedProfileError } from './session-connection';
import { SessionServiceImpl } from './session-service';

const HOST_ID = '6c2b1d4e-8f3a-4b5c-9d6e-7f8a9b0c1d2e';

const profile = (settings: Partial<HostProfileInput> = {}) =>
  hostProfileSchema.parse({
    id: HOST_ID,
    name: 'web01',
    address: 'web01.corp.example',
    user: 'CORP\\alice',
    ...settings,
  });

function service(host = profile(), secret: string | undefined = undefined) {
  const states: SessionSummary[] = [];
  const sessions = new SessionServiceImpl({
    hosts: {
      host: (id) => {
        if (id !== host.id) throw new ContractError('not-found', 'no host');
        return host;
      },
      markUsed: async () => undefined,
    },
    credentials: { secretFor: async () => secret },
    trust: { requestDecision: async () => ({ kind: 'reject' }) },
    hostTrust: () => ({ pinnedSha256: [], authorities: [] }),
    newId: randomUUID,
  });
  sessions.onDidChangeSessionState((summary) => states.push(summary));
  return { sessions, states };
}

/** A port that closes every connection at once: the transport fails fast and plainly. */
async function closingPort(): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
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
      connectionFromProfile({ ...inputs, host: profile({ advanced: { proxyUrl: 'http://proxy:3128' } }) }),
    ).rejects.toThrow(UnsupportedProfileError);
  });
});

describe('SessionServiceImpl', () => {
  it('waits for credentials without a secret and reuses that session on the next connect', async () => {
    const { sessions, states } = service();
    const first = await sessions.connect({ hostId: HOST_ID });
    expect(first).toMatchObject({ hostId: HOST_ID, state: 'awaiting-credentials' });
    const second = await sessions.connect({ hostId: HOST_ID });
    expect(second.sessionId).toBe(first.sessionId);
    expect(await sessions.list()).toEqual([second]);
    expect(states.map((state) => state.state)).toEqual(['awaiting-credentials', 'awaiting-credentials']);
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
      const { sessions, states } = service(host, 'secret');
      const summary = await sessions.connect({ hostId: HOST_ID });
      expect(summary.state).toBe('connecting');
      await expect.poll(() => states.at(-1)?.state).toBe('failed');
      expect(states.at(-1)?.error?.message).toMatch(/^Could not connect: \S/);
      expect(JSON.stringify(states)).not.toContain('secret');
    } finally {
      server.close();
    }
  });

  it('refuses acknowledgements of events not sent', async () => {
    const { sessions } = service();
    const { sessionId } = await sessions.connect({ hostId: HOST_ID });
    await expect(sessions.acknowledgeOutput({ sessionId, sequence: 1 })).rejects.toMatchObject({
      code: 'invalid-input',
    });
    expect(sessions.unacknowledgedCharacters(sessionId)).toBe(0);
  });
});
