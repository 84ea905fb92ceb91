import { scriptPipeline, textOf } from '../core/psrp/session';
import { PowerShellSession, WinRSSession } from '../main/session';
import type { RunningLab } from '../e2e/support/lab';
import { MiB, PeakMemory, countingConnection, measure, printTable, startLab } from './support/lab-session';

// Output throughput and peak client memory for a command writing TOTAL_MIB MiB of text (Basic over HTTPS to
// the lab): a PSRP pipeline in 1 MiB strings and in 1 KiB strings, consumed with the session's flow control
// (the consumer acknowledges each object on the next turn of the event loop, as a terminal writer would; PSRP
// flow control counts objects, so its watermark is the number of objects making HIGH_WATERMARK bytes),
// next to the same bytes as stdout of a WinRS command (no PSRP fragments, no CLIXML) as a baseline. Every run
// is in a fresh session; the figures count the text received (one byte per character: it is all 'x').

const TOTAL_MIB = Number(process.env.BENCH_OUTPUT_MIB ?? 100);
const HIGH_WATERMARK = 16 * MiB;

interface Run {
  readonly name: string;
  readonly bytes: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly requests: number;
  readonly peakMiB: number;
  readonly growthMiB: number;
}

async function psrpRun(lab: RunningLab, name: string, objectBytes: number): Promise<Run> {
  const script = `$s = [string]::new('x', ${objectBytes}); foreach ($i in 1..${(TOTAL_MIB * MiB) / objectBytes}) { $s }`;
  const connection = countingConnection(lab);
  const session = await PowerShellSession.open(connection);
  try {
    global.gc?.();
    const memory = new PeakMemory();
    let bytes = 0;
    const before = connection.requests();
    const { wallMs, cpuMs } = await measure(async () => {
      const pipeline = session.invoke(scriptPipeline(script), {
        flowControl: { highWatermark: HIGH_WATERMARK / objectBytes },
        onOutput: (value) => {
          bytes += textOf(value).length;
          memory.sample();
          setImmediate(() => pipeline.acknowledge(1));
        },
      });
      const result = await pipeline.finished;
      if (result.state !== 'Completed') throw new Error(`${name}: the pipeline ended ${result.state}`);
    });
    return { name, bytes, wallMs, cpuMs, requests: connection.requests() - before, ...memory.stop() };
  } finally {
    await session.close();
  }
}

async function winrsRun(lab: RunningLab): Promise<Run> {
  const connection = countingConnection(lab);
  const session = await WinRSSession.open(connection);
  try {
    global.gc?.();
    const memory = new PeakMemory();
    let bytes = 0;
    const before = connection.requests();
    const { wallMs, cpuMs } = await measure(async () => {
      const command = session.run(`head -c ${TOTAL_MIB * MiB} /dev/zero | tr '\\0' x`, [], {
        flowControl: { highWatermark: HIGH_WATERMARK },
        onOutput: (_stream, text) => {
          bytes += text.length;
          memory.sample();
          setImmediate(() => command.acknowledge(text.length));
        },
      });
      const exitCode = await command.exitCode;
      if (exitCode !== 0) throw new Error(`WinRS baseline: the command exited ${exitCode}`);
    });
    return {
      name: 'WinRS stdout (baseline)',
      bytes,
      wallMs,
      cpuMs,
      requests: connection.requests() - before,
      ...memory.stop(),
    };
  } finally {
    await session.close();
  }
}

const lab = await startLab();
try {
  const runs = [
    await psrpRun(lab, 'PSRP, 1 MiB strings', MiB),
    await psrpRun(lab, 'PSRP, 1 KiB strings', 1024),
    await winrsRun(lab),
  ];
  for (const run of runs) {
    if (run.bytes !== TOTAL_MIB * MiB)
      throw new Error(`${run.name}: received ${run.bytes} bytes, not ${TOTAL_MIB} MiB`);
  }
  const rate = (run: Run) => run.bytes / MiB / (run.wallMs / 1000);
  console.log(
    `output of ${TOTAL_MIB} MiB, flow control high watermark ${HIGH_WATERMARK / MiB} MiB, Basic over HTTPS to the lab`,
  );
  printTable(
    ['', 'MiB/s', 'seconds', 'client CPU s', 'requests', 'peak RSS MiB', 'RSS growth MiB'],
    runs.map((run) => [
      run.name,
      rate(run).toFixed(1),
      (run.wallMs / 1000).toFixed(2),
      (run.cpuMs / 1000).toFixed(2),
      String(run.requests),
      run.peakMiB.toFixed(0),
      run.growthMiB.toFixed(0),
    ]),
  );
  const baseline = runs[2]!;
  console.log(
    `ratio to the WinRS baseline: ${runs
      .slice(0, 2)
      .map((run) => `${run.name} ${(rate(run) / rate(baseline)).toFixed(2)}×`)
      .join(', ')}`,
  );
} finally {
  await lab.stop();
}
