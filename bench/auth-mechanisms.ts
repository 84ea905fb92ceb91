import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { scriptPipeline, textOf } from '../core/psrp/session';
import { ResourceUri, buildGet } from '../core/wsman';
import { PowerShellSession, selectMechanism, type AuthSelection, type AuthTarget } from '../main/session';
import {
  StaticTrustStore,
  StoreTrustPolicy,
  WinRMTransport,
  parsePemCertificates,
  type WinRMTransportOptions,
} from '../main/transport';
import { RunningLab } from '../e2e/support/lab';
import { MiB, measure, percentile, printTable } from './support/lab-session';

// The cost of each authentication mechanism against the lab (one file for both figures, since every bench/*.ts
// is an entry point and the mechanism table is shared):
// 1. Connect time, median of CONNECT_SAMPLES fresh connections per mechanism over HTTP with message encryption:
//    "auth" = mechanism readied (Kerberos: AS and TGS exchanges) + handshake + one sealed WS-Man Get;
//    "connect" = mechanism readied + runspace pool opened (PowerShellSession.open: shell Create, pwsh start,
//    SESSION_CAPABILITY/INIT_RUNSPACEPOOL, pool Opened), which is what a user waits for.
// 2. Throughput of a pipeline writing OUTPUT_MIB MiB (1 MiB strings) over HTTP with NTLM, Kerberos and CredSSP
//    message encryption, next to the same mechanism over HTTPS (TLS, no message encryption).

const CONNECT_SAMPLES = Number(process.env.BENCH_CONNECT_SAMPLES ?? 20);
const OUTPUT_MIB = Number(process.env.BENCH_OUTPUT_MIB ?? 100);

const lab = await RunningLab.start(['--enable-credssp']);
const { descriptor } = lab;
const [alice] = descriptor.accounts;
if (alice === undefined) throw new Error('the lab descriptor lists no account');
const caBundle = parsePemCertificates(readFileSync(descriptor.ca_bundle));
const offlineKerberos = new URL('../e2e/support/krb5-offline.conf', import.meta.url).pathname;
const labKerberos: AuthTarget['kerberos'] = { krb5ConfigPaths: [descriptor.krb5_conf as string], environment: {} };
const noKerberos: AuthTarget['kerberos'] = { krb5ConfigPaths: [offlineKerberos], environment: {} };
const password = { userName: alice.user, password: alice.password };

interface Mechanism {
  readonly name: string;
  readonly selection: AuthSelection;
  readonly kerberos: AuthTarget['kerberos'];
}

const ntlm: Mechanism = { name: 'NTLM', selection: { method: 'ntlm', ...password }, kerberos: noKerberos };
const kerberos: Mechanism = {
  name: 'Kerberos (password)',
  selection: { method: 'kerberos', userName: `alice@${descriptor.realm}`, password: alice.password },
  kerberos: labKerberos,
};
const credssp: Mechanism = {
  name: 'CredSSP',
  selection: { method: 'credssp', delegationConsent: true, ...password },
  kerberos: noKerberos,
};
const mechanisms: readonly Mechanism[] = [
  ntlm,
  { name: 'Negotiate → NTLM', selection: { method: 'negotiate', ...password }, kerberos: noKerberos },
  kerberos,
  { name: 'Negotiate → Kerberos', selection: { method: 'negotiate', ...password }, kerberos: labKerberos },
  credssp,
];

async function transportOptions(mechanism: Mechanism, secure: boolean): Promise<WinRMTransportOptions> {
  return {
    endpoint: secure ? descriptor.https_url : descriptor.http_url,
    hostName: descriptor.host_name,
    mechanism: await selectMechanism(mechanism.selection, {
      hostName: descriptor.host_name,
      kerberos: mechanism.kerberos,
    }),
    ...(secure && { tls: { trust: new StoreTrustPolicy(new StaticTrustStore({ caBundle })) } }),
  };
}

/** Mechanism readied, connection authenticated, one sealed Get of the service configuration answered. */
async function authenticateOnce(mechanism: Mechanism): Promise<void> {
  const transport = new WinRMTransport(await transportOptions(mechanism, false));
  try {
    const context = { to: transport.endpoint, maxEnvelopeSize: 153_600, operationTimeoutMs: 20_000 };
    const response = await transport.post(
      buildGet(context, randomUUID(), { resourceUri: ResourceUri.config }).envelope,
    );
    if (response.status !== 200 || !response.encrypted)
      throw new Error(`${mechanism.name}: the Get was not answered sealed`);
  } finally {
    transport.close();
  }
}

async function openPool(mechanism: Mechanism): Promise<PowerShellSession> {
  return PowerShellSession.open({ transport: await transportOptions(mechanism, false) });
}

async function connectTimes(mechanism: Mechanism): Promise<{ authMs: number; connectMs: number }> {
  const auth: number[] = [];
  const connect: number[] = [];
  for (let sample = 0; sample < CONNECT_SAMPLES; sample++) {
    auth.push((await measure(() => authenticateOnce(mechanism))).wallMs);
    const { wallMs, value: session } = await measure(() => openPool(mechanism));
    connect.push(wallMs);
    await session.close(); // not timed
  }
  return { authMs: percentile(auth, 0.5), connectMs: percentile(connect, 0.5) };
}

/**
 * MiB/s of a pipeline writing OUTPUT_MIB MiB as 1 MiB strings, in a fresh session (the open is not timed), and
 * the client's CPU seconds per 100 MiB (the lab's Python does the server half of the crypto on the same machine).
 */
async function throughput(mechanism: Mechanism, secure: boolean): Promise<{ rate: number; cpuPer100: number }> {
  const session = await PowerShellSession.open({ transport: await transportOptions(mechanism, secure) });
  try {
    const script = `$s = [string]::new('x', ${MiB}); foreach ($i in 1..${OUTPUT_MIB}) { $s }`;
    let characters = 0;
    const { wallMs, cpuMs } = await measure(async () => {
      const pipeline = session.invoke(scriptPipeline(script), {
        onOutput: (value) => (characters += textOf(value).length),
      });
      const result = await pipeline.finished;
      if (result.state !== 'Completed') throw new Error(`${mechanism.name}: the pipeline ended ${result.state}`);
    });
    if (characters !== OUTPUT_MIB * MiB) throw new Error(`${mechanism.name}: received ${characters} characters`);
    return { rate: OUTPUT_MIB / (wallMs / 1000), cpuPer100: ((cpuMs / 1000) * 100) / OUTPUT_MIB };
  } finally {
    await session.close();
  }
}

try {
  console.log(`connect time, median of ${CONNECT_SAMPLES}, HTTP with message encryption, lab on 127.0.0.1 (ms)`);
  const connectRows: string[][] = [];
  for (const mechanism of mechanisms) {
    const { authMs, connectMs } = await connectTimes(mechanism);
    connectRows.push([mechanism.name, authMs.toFixed(1), connectMs.toFixed(1)]);
  }
  printTable(['', 'auth + one Get', 'auth + pool opened'], connectRows);

  console.log(`\nthroughput of ${OUTPUT_MIB} MiB of pipeline output (1 MiB strings), MiB/s`);
  const throughputRows: string[][] = [];
  for (const mechanism of [ntlm, kerberos, credssp]) {
    const sealed = await throughput(mechanism, false);
    const overTls = await throughput(mechanism, true);
    throughputRows.push([
      mechanism.name,
      sealed.rate.toFixed(1),
      overTls.rate.toFixed(1),
      (sealed.rate / overTls.rate).toFixed(2),
      sealed.cpuPer100.toFixed(1),
      overTls.cpuPer100.toFixed(1),
    ]);
  }
  printTable(
    ['', 'HTTP + encryption', 'HTTPS', 'ratio to HTTPS', 'client CPU s/100 MiB (HTTP)', '(HTTPS)'],
    throughputRows,
  );
} finally {
  await lab.stop();
}
