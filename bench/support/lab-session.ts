import { readFileSync } from 'node:fs';
import type { SessionConnectionOptions, PostingTransport } from '../../main/session';
import {
  StaticTrustStore,
  StoreTrustPolicy,
  WinRMTransport,
  basicMechanism,
  parsePemCertificates,
  type WinRMTransportOptions,
} from '../../main/transport';
import { RunningLab } from '../../e2e/support/lab';

// What the benchmarks share: a private lab, the connection settings of its first account (Basic over HTTPS,
// the lab's CA trusted by our own policy), a transport that counts its requests, and figures.

/** A private lab with Basic authentication enabled; stop it when done. */
export function startLab(): Promise<RunningLab> {
  return RunningLab.start(['--enable-basic']);
}

/** Basic over HTTPS to the lab, trusting its CA bundle: what a user of a standalone server would configure. */
export function labTransport(lab: RunningLab): WinRMTransportOptions {
  const { descriptor } = lab;
  const account = descriptor.accounts[0];
  if (account === undefined) throw new Error('the lab descriptor lists no account');
  const caBundle = parsePemCertificates(readFileSync(descriptor.ca_bundle));
  return {
    endpoint: descriptor.https_url,
    hostName: descriptor.host_name,
    mechanism: basicMechanism({ user: account.user, password: account.password }),
    tls: { trust: new StoreTrustPolicy(new StaticTrustStore({ caBundle })) },
  };
}

/** Session options over `labTransport` whose transports count the requests they post. */
export function countingConnection(lab: RunningLab): SessionConnectionOptions & { readonly requests: () => number } {
  let posted = 0;
  const openTransport = (options: WinRMTransportOptions): PostingTransport => {
    const transport = new WinRMTransport(options);
    return {
      endpoint: transport.endpoint,
      timeouts: transport.timeouts,
      post: (envelope, postOptions) => {
        posted++;
        return transport.post(envelope, postOptions);
      },
      close: () => transport.close(),
    };
  };
  return { transport: labTransport(lab), openTransport, requests: () => posted };
}

/** Wall time (ms) and this process's CPU time (user + system, ms) spent in `action`. */
export async function measure<T>(action: () => Promise<T>): Promise<{ wallMs: number; cpuMs: number; value: T }> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const value = await action();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, value };
}

/** The value below which `fraction` of the samples lie (nearest rank); `fraction` 0.5 is the median. */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] as number;
}

export const MiB = 1024 * 1024;

/** Tracks the process's peak resident set size, sampled every `intervalMs` and whenever `sample()` is called. */
export class PeakMemory {
  readonly baselineRss = process.memoryUsage.rss();
  #peakRss = this.baselineRss;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(intervalMs = 20) {
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    this.#peakRss = Math.max(this.#peakRss, process.memoryUsage.rss());
  }

  /** Stops sampling; returns the peak and its growth over the baseline, in MiB. */
  stop(): { peakMiB: number; growthMiB: number } {
    clearInterval(this.#timer);
    this.sample();
    return { peakMiB: this.#peakRss / MiB, growthMiB: (this.#peakRss - this.baselineRss) / MiB };
  }
}

/** Prints rows as an aligned table (first column left-aligned, the others right-aligned). */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}
