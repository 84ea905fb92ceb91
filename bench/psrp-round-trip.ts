import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { scriptPipeline } from '../core/psrp/session';
import { ResourceUri, buildGet } from '../core/wsman';
import { PowerShellSession } from '../main/session';
import { WinRMTransport } from '../main/transport';
import type { RunningLab } from '../e2e/support/lab';
import { countingConnection, labTransport, measure, percentile, printTable, startLab } from './support/lab-session';

// Command round trip for `$null` on an open runspace pool (Basic over HTTPS to the lab), next to two floors
// on the same kind of connection (TLS, keep-alive): an unauthenticated POST the lab answers 401 (HTTP and TLS
// only), and an authenticated WS-Man Get of the WinRM config through our WinRMTransport (plus auth and the
// lab's WS-Man layer). Each figure is the median (and 90th percentile) of ROUNDS after WARM_UP rounds.

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const WARM_UP = 5;

interface Row {
  readonly name: string;
  readonly wallMs: number[];
  readonly cpuMs: number[];
  readonly requestsPerRound?: number;
}

async function rounds(name: string, round: () => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < WARM_UP; i++) await round();
  const row: Row = { name, wallMs: [], cpuMs: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const { wallMs, cpuMs } = await measure(round);
    row.wallMs.push(wallMs);
    row.cpuMs.push(cpuMs);
  }
  return row;
}

/** POST without credentials over one keep-alive TLS socket; the lab answers 401 with its challenges. */
async function unauthenticatedPosts(lab: RunningLab): Promise<Row> {
  const { descriptor } = lab;
  const endpoint = new URL(descriptor.https_url);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const ca = readFileSync(descriptor.ca_bundle);
  const body = Buffer.from('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>');
  const post = () =>
    new Promise<number>((resolve, reject) => {
      const request = https.request(
        {
          agent,
          ca,
          host: endpoint.hostname,
          port: endpoint.port,
          path: endpoint.pathname,
          servername: descriptor.host_name,
          method: 'POST',
          headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': body.length },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const status = await post();
  if (status !== 401) throw new Error(`the lab answered an unauthenticated POST with ${status}, not 401`);
  try {
    return await rounds('HTTPS POST → 401 (floor)', post);
  } finally {
    agent.destroy();
  }
}

async function wsmanGets(lab: RunningLab): Promise<Row> {
  const transport = new WinRMTransport(labTransport(lab));
  const context = { to: transport.endpoint, maxEnvelopeSize: 153_600, operationTimeoutMs: 20_000 };
  try {
    return await rounds('WS-Man Get config (floor)', () =>
      transport.post(buildGet(context, randomUUID(), { resourceUri: ResourceUri.config }).envelope, {
        idempotent: true,
      }),
    );
  } finally {
    transport.close();
  }
}

async function nullCommands(lab: RunningLab): Promise<Row> {
  const connection = countingConnection(lab);
  const session = await PowerShellSession.open(connection);
  try {
    const before = connection.requests();
    const row = await rounds('PSRP pipeline `$null`', async () => {
      const result = await session.invoke(scriptPipeline('$null')).finished;
      if (result.state !== 'Completed') throw new Error(`the $null pipeline ended ${result.state}`);
    });
    return { ...row, requestsPerRound: (connection.requests() - before) / (ROUNDS + WARM_UP) };
  } finally {
    await session.close();
  }
}

const lab = await startLab();
try {
  const rows = [await unauthenticatedPosts(lab), await wsmanGets(lab), await nullCommands(lab)];
  const [raw, get, command] = rows.map((row) => percentile(row.wallMs, 0.5)) as [number, number, number];
  console.log(`command round trip, ${ROUNDS} rounds each after ${WARM_UP} warm-up rounds, Basic over HTTPS to the lab`);
  printTable(
    ['', 'median ms', 'p90 ms', 'client CPU ms', 'requests'],
    rows.map((row) => [
      row.name,
      percentile(row.wallMs, 0.5).toFixed(2),
      percentile(row.wallMs, 0.9).toFixed(2),
      percentile(row.cpuMs, 0.5).toFixed(2),
      (row.requestsPerRound ?? 1).toFixed(1),
    ]),
  );
  console.log(
    `ratio: $null command / HTTPS 401 floor = ${(command / raw).toFixed(1)}×, ` +
      `$null command / WS-Man Get floor = ${(command / get).toFixed(1)}×`,
  );
} finally {
  await lab.stop();
}
