import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuthConnectionInfo } from '../../core/auth/mechanism';
import { hostProfileSchema, type HostProfileInput } from '../../core/contract/host-profile';
import { scriptPipeline, textOf } from '../../core/psrp/session';
import { connectionFromProfile, serverTrustFromProfile } from '../../main/services/session-connection';
import { selectMechanism } from '../../main/session/auth-selection';
import { PowerShellSession } from '../../main/session/powershell-session';
import type { SessionConnectionOptions } from '../../main/session/session-options';
import {
  ConnectError,
  directTcpConnector,
  UntrustedCertificateError,
  verifyServerTrust,
  WinRMTransport,
  type TrustRequest,
} from '../../main/transport';
import { labAdmin } from '../support/lab';

// The profile's advanced connection options against real peers: the proxy through tinyproxy (Debian's
// tinyproxy-bin, started here on loopback) in front of the lab, channel binding off against the lab's
// CbtHardeningLevel, and the SPN service class against the lab's KDC. Sessions are built from a saved host by
// the app's own connectionFromProfile, so what is proven is what the app does with the profile.

const lab = inject('lab');
const [alice] = lab.accounts;
const admin = labAdmin(lab);
const portOf = (url: string) => Number(new URL(url).port);
const httpPort = portOf(lab.http_url);
const httpsPort = portOf(lab.https_url);
const adminPort = portOf(lab.admin_url);
const serverFingerprint = (lab['server_certs'] as Record<string, { fingerprint_sha256: string }>)['chain']!
  .fingerprint_sha256;

/** A tinyproxy on a free loopback port, tunnelling only to the lab's WS-Man ports, logging every request. */
class Tinyproxy {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly logFile: string,
  ) {}

  static async start(directory: string, name: string, extraConfig: readonly string[] = []): Promise<Tinyproxy> {
    const port = await freePort();
    const logFile = path.join(directory, `${name}.log`);
    const configFile = path.join(directory, `${name}.conf`);
    writeFileSync(
      configFile,
      [
        `Port ${port}`,
        'Listen 127.0.0.1',
        'Allow 127.0.0.1',
        'Timeout 60',
        // tinyproxy tunnels only to 443 and 563 unless ConnectPort lines name the ports.
        `ConnectPort ${httpPort}`,
        `ConnectPort ${httpsPort}`,
        `LogFile "${logFile}"`,
        'LogLevel Info',
        ...extraConfig,
        '',
      ].join('\n'),
    );
    const child = spawn('/usr/bin/tinyproxy', ['-d', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (;;) {
      if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}:\n${output}`);
      const socket = await directTcpConnector({ host: '127.0.0.1', port }, 1000).catch(() => undefined);
      if (socket !== undefined) {
        socket.destroy();
        return new Tinyproxy(child, `http://127.0.0.1:${port}`, logFile);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The CONNECT request lines tinyproxy logged, e.g. `CONNECT 127.0.0.1:5986 HTTP/1.1`. */
  connects(): string[] {
    return [
      ...readFileSync(this.logFile, 'utf8').matchAll(/Request \(file descriptor \d+\): (CONNECT \S+ HTTP\/1\.1)/g),
    ].map((match) => match[1]!);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let directory: string;
let proxy: Tinyproxy;
/** A proxy that wants credentials (BasicAuth): it answers CONNECT with 407. */
let authenticatingProxy: Tinyproxy;
beforeAll(async () => {
  directory = mkdtempSync(path.join(os.tmpdir(), 'winrm-desk-proxy-'));
  proxy = await Tinyproxy.start(directory, 'open');
  authenticatingProxy = await Tinyproxy.start(directory, 'authenticating', ['BasicAuth proxyuser proxypassword']);
});
afterAll(async () => {
  await proxy?.stop();
  await authenticatingProxy?.stop();
  rmSync(directory, { recursive: true, force: true });
});
afterEach(async () => {
  await admin('POST', '/settings/reset');
});

/** A saved host for alice on the lab, authenticating as the lab's host name. */
function profile(input: Partial<HostProfileInput> & { advanced?: HostProfileInput['advanced'] }) {
  return hostProfileSchema.parse({
    id: randomUUID(),
    name: 'lab',
    address: '127.0.0.1',
    user: alice!.user,
    auth: 'ntlm',
    ...input,
    advanced: { spnHostname: lab.host_name, ...input.advanced },
  });
}

/** The app's connection for `host`, recording the transports it opens and what each auth context was bound to. */
async function appConnection(host: ReturnType<typeof profile>) {
  const options = await connectionFromProfile({
    host,
    secret: alice!.password,
    trust: { pinnedSha256: [serverFingerprint], authorities: [] },
    askTrust: async () => ({ kind: 'reject' }),
  });
  return recorded(options);
}

function recorded(options: SessionConnectionOptions) {
  const transports: WinRMTransport[] = [];
  const bindings: AuthConnectionInfo[] = [];
  const { mechanism } = options.transport;
  const session: SessionConnectionOptions = {
    ...options,
    transport: {
      ...options.transport,
      mechanism: {
        ...mechanism,
        newContext: (info) => {
          bindings.push(info);
          return mechanism.newContext(info);
        },
      },
    },
    openTransport: (settings) => {
      const transport = new WinRMTransport(settings);
      transports.push(transport);
      return transport;
    },
  };
  return { session, transports, bindings };
}

/** Opens a PowerShell session and returns whom the lab's pwsh runs as. */
async function identity(options: SessionConnectionOptions): Promise<string[]> {
  const session = await PowerShellSession.open(options);
  try {
    const values: string[] = [];
    const result = await session.invoke(scriptPipeline('$env:WINRM_LAB_USER'), {
      onOutput: (value) => values.push(textOf(value)),
    }).finished;
    expect(result.state).toBe('Completed');
    return values;
  } finally {
    await session.close();
  }
}

describe('a host behind an HTTP proxy (tinyproxy)', () => {
  it('runs NTLM over HTTP with message encryption through a CONNECT tunnel', async () => {
    const before = proxy.connects().length;
    const { session, transports } = await appConnection(
      profile({ transport: 'http', port: httpPort, advanced: { proxyUrl: proxy.url } }),
    );
    expect(await identity(session)).toEqual(['LAB\\alice']);
    expect(transports.length).toBeGreaterThan(0);
    expect(transports.every((transport) => transport.encrypts)).toBe(true);
    const connects = proxy.connects().slice(before);
    expect(connects.length).toBeGreaterThan(0);
    expect(new Set(connects)).toEqual(new Set([`CONNECT 127.0.0.1:${httpPort} HTTP/1.1`]));
  });

  it('runs NTLM over HTTPS with channel binding (CbtHardeningLevel Strict) through the tunnel', async () => {
    await admin('POST', '/settings', { cbt_hardening: 'Strict' });
    const before = proxy.connects().length;
    const { session, bindings } = await appConnection(
      profile({ transport: 'https', port: httpsPort, advanced: { proxyUrl: proxy.url } }),
    );
    expect(await identity(session)).toEqual(['LAB\\alice']);
    // Bound to the server's certificate, which reached us through the tunnel.
    expect(bindings.length).toBeGreaterThan(0);
    for (const info of bindings) {
      expect(Buffer.from(info.channelBindings!).toString('latin1')).toMatch(/^tls-server-end-point:/);
    }
    expect(new Set(proxy.connects().slice(before))).toEqual(new Set([`CONNECT 127.0.0.1:${httpsPort} HTTP/1.1`]));
  });

  it("decides the server's certificate through the proxy before a password is asked for", async () => {
    const before = proxy.connects().length;
    const asked: TrustRequest[] = [];
    const trust = serverTrustFromProfile({
      host: profile({ transport: 'https', port: httpsPort, advanced: { proxyUrl: proxy.url } }),
      trust: { pinnedSha256: [], authorities: [] },
      askTrust: async (request) => {
        asked.push(request);
        return { kind: 'reject' };
      },
    })!;
    await expect(verifyServerTrust(trust)).rejects.toThrow(UntrustedCertificateError);
    expect(asked.map((request) => request.chain[0]?.fingerprintSha256)).toEqual([serverFingerprint]);
    expect(proxy.connects().slice(before)).toEqual([`CONNECT 127.0.0.1:${httpsPort} HTTP/1.1`]);
  });

  it('says plainly that the proxy refused a tunnel (tinyproxy: a port it does not allow)', async () => {
    const { session } = await appConnection(
      profile({ transport: 'http', port: adminPort, advanced: { proxyUrl: proxy.url } }),
    );
    const error = await PowerShellSession.open(session).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as Error).message).toBe(
      `the proxy ${proxy.url.slice('http://'.length)} refused the tunnel to 127.0.0.1:${adminPort} ` +
        `(HTTP 403 Access violation) — it may not allow tunnels to port ${adminPort}`,
    );
  });

  it('says plainly that the proxy wants credentials (407), which the app does not support yet', async () => {
    const { session } = await appConnection(
      profile({ transport: 'https', port: httpsPort, advanced: { proxyUrl: authenticatingProxy.url } }),
    );
    await expect(PowerShellSession.open(session)).rejects.toThrow(
      /^the proxy 127\.0\.0\.1:\d+ asks for credentials \(HTTP 407 Proxy Authentication Required\), which the app does not support yet/,
    );
  });

  it('says plainly that nothing listens at the proxy address', async () => {
    const closed = await freePort();
    const { session } = await appConnection(
      profile({ transport: 'https', port: httpsPort, advanced: { proxyUrl: `http://127.0.0.1:${closed}` } }),
    );
    await expect(PowerShellSession.open(session)).rejects.toThrow(
      `could not connect to the proxy 127.0.0.1:${closed}: connection refused — check the proxy URL in the host's advanced settings`,
    );
  });
});

describe('channel binding switched off in the profile', () => {
  const host = () => profile({ transport: 'https', port: httpsPort, advanced: { channelBinding: false } });

  it('sends no channel bindings, which a CbtHardeningLevel Relaxed server accepts', async () => {
    await admin('POST', '/settings', { cbt_hardening: 'Relaxed' });
    const { session, bindings } = await appConnection(host());
    expect(await identity(session)).toEqual(['LAB\\alice']);
    expect(bindings.length).toBeGreaterThan(0);
    expect(bindings.every((info) => info.channelBindings === undefined)).toBe(true);
  });

  it('is refused by a CbtHardeningLevel Strict server', async () => {
    await admin('POST', '/settings', { cbt_hardening: 'Strict' });
    const { session } = await appConnection(host());
    await expect(PowerShellSession.open(session)).rejects.toThrow(
      /^the server rejected the credentials of LAB\\alice using NTLM.* The server said: channel binding is required/,
    );
  });
});

describe("the profile's SPN service against the lab's KDC (principals HTTP/ and host/, no WSMAN/)", () => {
  const kerberos = { krb5ConfigPaths: [lab.krb5_conf as string], environment: {} };
  const selection = { method: 'kerberos', userName: `alice@${lab.realm}`, password: alice!.password } as const;

  it('asks for a ticket for <service>/<host> only, and authenticates with it', async () => {
    const mechanism = await selectMechanism(selection, { hostName: lab.host_name, spnService: 'host', kerberos });
    // The app's connection with that mechanism: the app reads krb5.conf from KRB5_CONFIG, an offline realm here.
    const { session } = await appConnection(profile({ transport: 'http', port: httpPort }));
    expect(await identity({ ...session, transport: { ...session.transport, mechanism } })).toEqual(['LAB\\alice']);
  });

  it('fails when the KDC has no principal for that service, rather than trying others', async () => {
    const failure = await selectMechanism(selection, { hostName: lab.host_name, spnService: 'WSMAN', kerberos }).then(
      () => new Error('a ticket was issued'),
      (error: unknown) => error as Error,
    );
    expect(failure.message).toMatch(/WSMAN\/win-lab\.lab\.test/);
    expect(failure.message).not.toMatch(/HTTP\/|host\//);
  });
});
