import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuthConnectionInfo } from '../../core/auth/mechanism';
import type { SpnegoContext } from '../../core/auth/spnego';
import type { PSValue } from '../../core/psrp/clixml';
import { scriptPipeline, textOf } from '../../core/psrp/session';
import { selectMechanism, type AuthSelection, type AuthTarget } from '../../main/session/auth-selection';
import { PowerShellSession } from '../../main/session/powershell-session';
import type { SessionConnectionOptions } from '../../main/session/session-options';
import {
  StaticTrustStore,
  StoreTrustPolicy,
  WinRMTransport,
  parsePemCertificates,
  type AuthMechanism,
  type TransportAuthContext,
  type WinRMTransportOptions,
} from '../../main/transport';
import { labAdmin } from '../support/lab';

// Every password-based mechanism against the lab's real pwsh through PowerShellSession, over HTTP with
// message encryption (AllowUnencrypted false, the lab's default) and over HTTPS with CbtHardeningLevel Strict:
// the pipeline sees the authenticated identity. Then a long pipeline survives a forced re-authentication and a
// dropped connection in the middle of its output, with every line arriving exactly once.

const lab = inject('lab');
const [alice] = lab.accounts;
const offlineKerberos = new URL('../support/krb5-offline.conf', import.meta.url).pathname;
const caBundle = parsePemCertificates(readFileSync(lab.ca_bundle));

const admin = labAdmin(lab);

/** A credential cache made by MIT `kinit` for alice, in a directory of its own. */
let ccacheDirectory: string;
let credentialCache: string;
beforeAll(async () => {
  ccacheDirectory = mkdtempSync(path.join(os.tmpdir(), 'winrm-desk-ccache-'));
  credentialCache = `FILE:${path.join(ccacheDirectory, 'cc')}`;
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      'kinit',
      [`alice@${lab.realm}`],
      { env: { ...process.env, KRB5_CONFIG: lab.krb5_conf as string, KRB5CCNAME: credentialCache } },
      (error, _stdout, stderr) => (error ? reject(new Error(`kinit failed: ${stderr}`)) : resolve()),
    );
    child.stdin!.end(`${alice!.password}\n`);
  });
});
afterAll(() => rmSync(ccacheDirectory, { recursive: true, force: true }));

afterEach(async () => {
  await admin('DELETE', '/faults');
  await admin('POST', '/settings/reset');
});

interface MatrixEntry {
  readonly name: string;
  readonly selection: () => AuthSelection;
  readonly kerberos: () => NonNullable<AuthTarget['kerberos']>;
  /** What the SPNEGO context chose, for the Negotiate entries. */
  readonly negotiated?: 'Kerberos' | 'NTLM';
}

const password = () => ({ userName: alice!.user, password: alice!.password });
const labKerberos = () => ({ krb5ConfigPaths: [lab.krb5_conf as string], environment: {} });
const noKerberos = () => ({ krb5ConfigPaths: [offlineKerberos], environment: {} });

const matrix: readonly MatrixEntry[] = [
  { name: 'NTLM', selection: () => ({ method: 'ntlm', ...password() }), kerberos: noKerberos },
  {
    name: 'NTLM in SPNEGO (no KDC known)',
    selection: () => ({ method: 'negotiate', ...password() }),
    kerberos: noKerberos,
    negotiated: 'NTLM',
  },
  {
    name: 'Kerberos with a password',
    selection: () => ({ method: 'kerberos', userName: `alice@${lab.realm}`, password: alice!.password }),
    kerberos: labKerberos,
  },
  {
    name: 'Kerberos with a kinit credential cache',
    selection: () => ({ method: 'kerberos', userName: undefined, password: undefined }),
    kerberos: () => ({ ...labKerberos(), credentialCache }),
  },
  {
    name: 'Negotiate choosing Kerberos',
    selection: () => ({ method: 'negotiate', ...password() }),
    kerberos: labKerberos,
    negotiated: 'Kerberos',
  },
  {
    name: 'CredSSP (with consent)',
    selection: () => ({ method: 'credssp', delegationConsent: true, ...password() }),
    kerberos: noKerberos,
  },
];

/** Session options that record every auth context made and every transport opened. */
async function connection(entry: MatrixEntry, secure: boolean) {
  const inner = await selectMechanism(entry.selection(), { hostName: lab.host_name, kerberos: entry.kerberos() });
  const contexts: TransportAuthContext[] = [];
  const connections: AuthConnectionInfo[] = [];
  const transports: WinRMTransport[] = [];
  const mechanism: AuthMechanism<TransportAuthContext> = {
    ...inner,
    newContext: (info) => {
      const context = inner.newContext(info);
      connections.push(info);
      contexts.push(context);
      return context;
    },
  };
  const transport: WinRMTransportOptions = {
    endpoint: secure ? lab.https_url : lab.http_url,
    hostName: lab.host_name,
    mechanism,
    ...(secure && { tls: { trust: new StoreTrustPolicy(new StaticTrustStore({ caBundle })) } }),
  };
  const options: SessionConnectionOptions = {
    transport,
    openTransport: (settings) => {
      const opened = new WinRMTransport(settings);
      transports.push(opened);
      return opened;
    },
  };
  return { options, contexts, connections, transports };
}

async function identityOver(entry: MatrixEntry, secure: boolean) {
  const recorded = await connection(entry, secure);
  const session = await PowerShellSession.open(recorded.options);
  try {
    const values: PSValue[] = [];
    const result = await session.invoke(scriptPipeline('$env:WINRM_LAB_USER'), {
      onOutput: (value) => values.push(value),
    }).finished;
    expect(result.state).toBe('Completed');
    return { identity: values.map(textOf), ...recorded };
  } finally {
    await session.close();
  }
}

describe.each(matrix)('$name against real pwsh', (entry) => {
  it('over HTTP with message encryption (AllowUnencrypted false) reports LAB\\alice', async () => {
    const settings = (await admin('GET', '/settings')) as { allow_unencrypted: boolean };
    expect(settings.allow_unencrypted).toBe(false);
    const { identity, contexts, transports } = await identityOver(entry, false);
    expect(identity).toEqual(['LAB\\alice']);
    expect(transports.length).toBeGreaterThan(0);
    expect(transports.every((transport) => transport.encrypts)).toBe(true);
    expect(contexts.every((context) => context.sealing !== undefined)).toBe(true);
    if (entry.negotiated) expect((contexts[0] as SpnegoContext).selectedMechanism).toBe(entry.negotiated);
  });

  it('over HTTPS with CbtHardeningLevel Strict reports LAB\\alice', async () => {
    await admin('POST', '/settings', { cbt_hardening: 'Strict' });
    const { identity, contexts, connections, transports } = await identityOver(entry, true);
    expect(identity).toEqual(['LAB\\alice']);
    expect(transports.every((transport) => !transport.encrypts)).toBe(true);
    // Every context was bound to its TLS channel (RFC 5929 tls-server-end-point), which Strict demands.
    expect(connections.length).toBeGreaterThan(0);
    for (const info of connections) {
      expect(Buffer.from(info.channelBindings!).toString('latin1')).toMatch(/^tls-server-end-point:/);
    }
    if (entry.negotiated) expect((contexts[0] as SpnegoContext).selectedMechanism).toBe(entry.negotiated);
  });
});

/** 2000 numbered lines, pausing every 100 so that a fault armed during the output lands in its middle. */
const LINE_COUNT = 2000;
const longOutput = scriptPipeline(
  `1..${LINE_COUNT} | ForEach-Object { "line $_"; if ($_ % 100 -eq 0) { Start-Sleep -Milliseconds 150 } }`,
);
const expectedLines = Array.from({ length: LINE_COUNT }, (_, index) => `line ${index + 1}`);

describe.each(
  matrix.filter((entry) => ['NTLM', 'Kerberos with a password', 'CredSSP (with consent)'].includes(entry.name)),
)('$name: a long pipeline over encrypted HTTP', (entry) => {
  async function runWithFaultAt(line: number, fault: () => Promise<unknown>) {
    const { options, contexts, transports } = await connection(entry, false);
    const session = await PowerShellSession.open(options);
    try {
      const lines: string[] = [];
      let armed: Promise<unknown> | undefined;
      const pipeline = session.invoke(longOutput, {
        onOutput: (value) => {
          lines.push(textOf(value));
          if (lines.length === line) armed = fault();
        },
      });
      const result = await pipeline.finished;
      return { result, lines, fault: await armed, contexts, transports };
    } finally {
      await session.close();
    }
  }

  it('survives a forced re-authentication mid-output: every line exactly once, in order', async () => {
    const run = await runWithFaultAt(300, () => admin('POST', '/faults/invalidate-auth'));
    expect(run.result.state).toBe('Completed');
    expect(run.lines).toEqual(expectedLines);
    expect(run.fault).toMatchObject({ invalidated: expect.any(Number) });
    expect((run.fault as { invalidated: number }).invalidated).toBeGreaterThan(0);
    // Each connection that was invalidated authenticated afresh with a new context.
    expect(run.contexts.length).toBeGreaterThan(run.transports.length);
  });

  // The lab cuts a Receive response that carries output it has already dequeued; the lane's replay is a Robust
  // Connections retransmission (MS-WSMV 3.1.4.1.39), so the lab answers it with the lost response again.
  it('survives a connection dropped mid-output: every line exactly once, in order', async () => {
    const run = await runWithFaultAt(300, () => admin('POST', '/faults', { kind: 'drop' }));
    expect(run.result.state).toBe('Completed');
    expect(run.lines).toEqual(expectedLines);
    expect(await admin('GET', '/faults')).toEqual([]); // the drop was spent on this session's traffic
    const replays = run.transports.reduce((sum, transport) => sum + transport.stats.replays, 0);
    expect(replays).toBeGreaterThan(0);
  });
});
