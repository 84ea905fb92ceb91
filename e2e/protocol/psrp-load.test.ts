import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { primitive, type PSValue } from '../../core/psrp/clixml';
import { scriptPipeline, textOf } from '../../core/psrp/session';
import { Action } from '../../core/wsman';
import { PowerShellSession, type PostingTransport, type PowerShellSessionOptions } from '../../main/session';
import {
  StaticTrustStore,
  StoreTrustPolicy,
  WinRMTransport,
  basicMechanism,
  parsePemCertificates,
  type WinRMTransportOptions,
} from '../../main/transport';
import { labAdmin } from '../support/lab';

// PowerShell sessions under load against the lab's real pwsh (Basic over HTTPS): many pipelines in flight on
// one pool, a 100 MiB output stream consumed with flow control in bounded memory, and envelopes small enough
// that messages span many fragments both ways. No timing is asserted.

const lab = inject('lab');
const [alice] = lab.accounts;
const caBundle = parsePemCertificates(readFileSync(lab.ca_bundle));
const MiB = 1024 * 1024;

const transport: WinRMTransportOptions = {
  endpoint: lab.https_url,
  hostName: lab.host_name,
  mechanism: basicMechanism({ user: alice!.user, password: alice!.password }),
  tls: { trust: new StoreTrustPolicy(new StaticTrustStore({ caBundle })) },
};

const admin = labAdmin(lab);

const sessions: PowerShellSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.close()));
  await admin('POST', '/settings/reset');
});

async function open(options: Partial<PowerShellSessionOptions> = {}): Promise<PowerShellSession> {
  const session = await PowerShellSession.open({ transport, ...options });
  sessions.push(session);
  return session;
}

interface Exchange {
  readonly action: string;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

/** Session options whose transports record the size and action of every request and its response. */
function recordingTransport(): {
  exchanges: Exchange[];
  openTransport: (o: WinRMTransportOptions) => PostingTransport;
} {
  const exchanges: Exchange[] = [];
  const actionOf = (envelope: Uint8Array) =>
    Object.values(Action).find((uri) => Buffer.from(envelope).includes(`>${uri}<`)) ?? 'unknown';
  return {
    exchanges,
    openTransport: (options) => {
      const inner = new WinRMTransport(options);
      return {
        endpoint: inner.endpoint,
        timeouts: inner.timeouts,
        post: async (envelope, postOptions) => {
          const response = await inner.post(envelope, postOptions);
          exchanges.push({
            action: actionOf(envelope),
            requestBytes: envelope.length,
            responseBytes: response.body.length,
          });
          return response;
        },
        close: () => inner.close(),
      };
    },
  };
}

/** A deterministic string of `length` UTF-16 code units mixing ASCII, XML specials, CJK, RTL and emoji. */
function mixedText(length: number): string {
  const alphabet = ['a', 'Z', '0', ' ', '<', '&', '"', '_x0041_', 'é', '中', '文', 'ש', 'ل', '😀', '𝄞', '\t'];
  let text = '';
  for (let i = 0; text.length < length; i++) text += alphabet[(i * 7 + (i >> 3)) % alphabet.length];
  // Never end inside a surrogate pair.
  return text.length > length && /[\ud800-\udbff]/.test(text[length - 1]!)
    ? text.slice(0, length - 1)
    : text.slice(0, length);
}

describe('PowerShell sessions under load', () => {
  it('runs 20 pipelines at once on a pool of 20 runspaces, each in its own runspace, with its own long poll', async () => {
    const recorder = recordingTransport();
    const session = await open({ maxConnections: 21, openTransport: recorder.openTransport, maxRunspaces: 20 });
    const outputs: string[][] = Array.from({ length: 20 }, () => []);
    const barrier = mkdtempSync(path.join(os.tmpdir(), 'winrm-desk-barrier-'));
    let commandsBeforeFirstEnd = 0;
    const finished = await Promise.all(
      outputs.map((output, index) => {
        // A barrier: each pipeline marks its arrival, then waits until all 20 have arrived, so all 20 must be
        // running at the same time (in 20 runspaces) for them to finish before the 30 s deadline.
        const script =
          'param($n, $barrier) New-Item -ItemType File -Path (Join-Path $barrier $n) | Out-Null; ' +
          '$deadline = (Get-Date).AddSeconds(30); ' +
          'while (@(Get-ChildItem $barrier).Count -lt 20 -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 50 }; ' +
          '"pipeline $n"; $PID; [runspace]::DefaultRunspace.InstanceId';
        const args = [{ value: primitive('Int32', index) }, { value: primitive('String', barrier) }];
        const pipeline = session.invoke(scriptPipeline(script, { arguments: args }), {
          onOutput: (value) => output.push(textOf(value)),
        });
        return pipeline.finished.then((result) => {
          commandsBeforeFirstEnd ||= recorder.exchanges.filter((e) => e.action === Action.Command).length;
          return result;
        });
      }),
    );
    expect(finished.every((result) => result.state === 'Completed' && !result.hadErrors)).toBe(true);
    expect(outputs.map((output) => output[0])).toEqual(outputs.map((_, index) => `pipeline ${index}`));
    expect(new Set(outputs.map((output) => output[1])).size).toBe(1); // one pool, one server process
    expect(new Set(outputs.map((output) => output[2])).size).toBe(20); // twenty runspaces
    expect(commandsBeforeFirstEnd).toBe(20); // all were created on the server before any ended
    expect(session.connections).toBeGreaterThan(3); // Receives long-polled side by side
    rmSync(barrier, { recursive: true, force: true });
  });

  it('receives 100 MiB of output with flow control in bounded client memory', async () => {
    const session = await open();
    const objectBytes = MiB;
    const highWatermark = 8;
    let received = 0;
    let objects = 0;
    let unacknowledged = 0;
    let mostUnacknowledged = 0;
    let writerFreeAt = 0;
    global.gc?.();
    const baselineRss = process.memoryUsage.rss();
    let peakRss = baselineRss;
    const pipeline = session.invoke(
      scriptPipeline(`$s = [string]::new('x', ${objectBytes}); foreach ($i in 1..100) { $s }`),
      {
        flowControl: { highWatermark },
        onOutput: (value) => {
          const text = textOf(value);
          expect(text.length).toBe(objectBytes);
          received += text.length;
          objects++;
          mostUnacknowledged = Math.max(mostUnacknowledged, ++unacknowledged);
          peakRss = Math.max(peakRss, process.memoryUsage.rss());
          // A serial writer that stalls for 3 s on the tenth object (a terminal scrolled back, a full pipe):
          // meanwhile far more than the watermark's worth of output would arrive without flow control.
          writerFreeAt = Math.max(Date.now(), writerFreeAt) + (objects === 10 ? 3000 : 1);
          setTimeout(() => {
            unacknowledged--;
            pipeline.acknowledge(1);
          }, writerFreeAt - Date.now());
        },
      },
    );
    expect((await pipeline.finished).state).toBe('Completed');
    expect(objects).toBe(100);
    expect(received).toBe(100 * MiB);
    // The backlog reached the watermark (flow control paused) but not far beyond it (a Receive in flight).
    expect(mostUnacknowledged).toBeGreaterThanOrEqual(highWatermark);
    expect(mostUnacknowledged).toBeLessThanOrEqual(highWatermark + 4);
    expect((peakRss - baselineRss) / MiB).toBeLessThan(300);
  });

  it('splits messages into many fragments both ways with 32 KiB envelopes and keeps a 200 KB argument intact', async () => {
    const maxEnvelopeSize = 32 * 1024;
    await admin('POST', '/settings', { max_envelope_size_kb: 32 });
    const recorder = recordingTransport();
    const session = await open({ maxEnvelopeSize, openTransport: recorder.openTransport });
    const text = mixedText(200_000);
    const sha256 = createHash('sha256').update(text, 'utf8').digest('hex').toUpperCase();
    const output: PSValue[] = [];
    const pipeline = session.invoke(
      scriptPipeline(
        'param($s) $s.Length; [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($s))); $s',
        { arguments: [{ value: text }] },
      ),
      { onOutput: (value) => output.push(value) },
    );
    expect(await pipeline.finished).toEqual({ state: 'Completed', error: undefined, hadErrors: false });
    expect(output.slice(0, 2).map(textOf)).toEqual([String(text.length), sha256]);
    expect(output[2]).toEqual(primitive('String', text));

    const { exchanges } = recorder;
    expect(Math.max(...exchanges.map((e) => e.requestBytes))).toBeLessThanOrEqual(maxEnvelopeSize);
    expect(Math.max(...exchanges.map((e) => e.responseBytes))).toBeLessThanOrEqual(maxEnvelopeSize);
    // CREATE_PIPELINE (over 200 KB of UTF-8) went out as Command plus Sends, its output came back in many Receives.
    expect(exchanges.filter((e) => e.action === Action.Send).length).toBeGreaterThanOrEqual(6);
    const fullReceives = exchanges.filter((e) => e.action === Action.Receive && e.responseBytes > maxEnvelopeSize / 2);
    expect(fullReceives.length).toBeGreaterThanOrEqual(6);
  });
});
