import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { WebBridgeApp } from '../main/index';
import { startWebBridgeApp } from '../main/index';
import { InMemoryCredentialStore } from '../main/stores/memory-credential-store';
import type { FlowControlOptions } from '../main/session/flow-control';
import { focusTerminal, hostTreeRow, openFromSidebar } from '../e2e/support/app-page';
import { launchChromium } from '../e2e/support/chromium';
import type { RunningLab } from '../e2e/support/lab';
import { addLabHost } from '../e2e/support/lab-host';
import { MiB, PeakMemory, measure, printTable, startLab } from './support/lab-session';

// The whole app path (DESIGN.md §6): the lab's real pwsh → WinRM over HTTPS → main's session service →
// the web bridge → the renderer in Debian's Chromium → xterm. Three figures:
//  1. OUTPUT_MB of text printed by a command typed at the prompt, until xterm has written the next prompt
//     (main's record of acknowledged events), with the app's terminal flow control and without it: MB/s
//     and peak resident memory of this process, which is main (the bridge, the services, the sessions);
//     Chromium and the lab are other processes.
//  2. Resident memory of main with SESSIONS sessions open to the lab, over the same app with none.
//  3. App start to first prompt: the bridge and services up, the page loaded, the host clicked, the prompt
//     shown, each step's share.
// Figures only, never assertions.

const OUTPUT_MB = Number(process.env.BENCH_APP_OUTPUT_MB ?? 50);
const LINE_CHARACTERS = 1_000;
const SESSIONS = Number(process.env.BENCH_APP_SESSIONS ?? 20);

interface AppUnderTest {
  readonly bridge: WebBridgeApp;
  readonly page: Page;
  readonly hostId: string;
  close(): Promise<void>;
}

async function openApp(
  lab: RunningLab,
  rendererDirectory: string,
  browser: Awaited<ReturnType<typeof launchChromium>>,
  terminalFlowControl?: FlowControlOptions | null,
  shell: 'powershell' | 'cmd' = 'powershell',
): Promise<AppUnderTest & { readonly startedMs: number; readonly loadedMs: number }> {
  const dataDirectory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-bench-'));
  const started = performance.now();
  const bridge = await startWebBridgeApp({
    dataDirectory,
    rendererDirectory,
    credentialStore: new InMemoryCredentialStore(),
    logger: { warn: () => undefined, error: () => undefined },
    ...(terminalFlowControl === undefined ? {} : { terminalFlowControl }),
  });
  const startedMs = performance.now() - started;
  const host = await addLabHost(bridge.app.services, lab.descriptor, { password: 'this run', draft: { shell } });
  const page = await browser.context.newPage();
  const loading = performance.now();
  await page.goto(bridge.url);
  await hostTreeRow(page, 'lab').waitFor();
  const loadedMs = performance.now() - loading;
  return {
    bridge,
    page,
    hostId: host.id,
    startedMs,
    loadedMs,
    close: async () => {
      await page.close();
      await bridge.close();
      await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}

/** Opens the host from the sidebar and resolves once the session's first prompt has been written by xterm. */
async function connectFromSidebar(app: AppUnderTest): Promise<string> {
  const prompted = nextPrompt(app);
  await openFromSidebar(app.page, 'lab');
  const sessionId = await prompted;
  await written(app, sessionId);
  await focusTerminal(app.page);
  return sessionId;
}

/** The id of the session whose next `prompt` event main sends. */
function nextPrompt(app: AppUnderTest): Promise<string> {
  return new Promise((resolve) => {
    const subscription = app.bridge.app.services.sessions.onDidTerminalEvent((event) => {
      if (event.event.type !== 'prompt') return;
      subscription.dispose();
      resolve(event.sessionId);
    });
  });
}

/** Resolves once the renderer has acknowledged every character main sent for the session. */
async function written(app: AppUnderTest, sessionId: string): Promise<void> {
  while (app.bridge.app.services.sessions.unacknowledgedCharacters(sessionId) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface MemoryFigures {
  readonly rssMiB: number;
  /** V8 heap in use plus memory outside it held by JavaScript objects (buffers). */
  readonly heapMiB: number;
}

/** Who spends the CPU on this machine: main (this process), the browser, the lab's PowerShell and its Python. */
const CPU_ROLES = ['main', 'Chromium', 'lab pwsh', 'lab Python'] as const;
type CpuRole = (typeof CPU_ROLES)[number];

/** CPU seconds (user + system) used so far by the live processes of each role, from /proc (Linux). */
function cpuSecondsByRole(): Record<CpuRole, number> {
  const seconds = Object.fromEntries(CPU_ROLES.map((role) => [role, 0])) as Record<CpuRole, number>;
  const ticksPerSecond = 100; // USER_HZ on Linux
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // the process ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const role: CpuRole | undefined =
      Number(entry) === process.pid
        ? 'main'
        : /^(chromium|chrome)/.test(name)
          ? 'Chromium'
          : /^(pwsh|dotnet)$/.test(name)
            ? 'lab pwsh'
            : /^python3/.test(name)
              ? 'lab Python'
              : undefined;
    // Fields after the name: state is [0], utime [11], stime [12].
    if (role !== undefined) seconds[role] += (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  }
  return seconds;
}

interface OutputRun {
  readonly name: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly cpuSeconds: Record<CpuRole, number>;
  readonly peakMiB: number;
  readonly peakUnacknowledged: number;
  /** Peak growth of the page's JS heap (used) over the start of the run. */
  readonly pageHeapGrowthMiB: number;
  /** Peak JS heap + external memory over the start of the run: what main holds for the output in flight. */
  readonly heapGrowthMiB: number;
}

/** Bytes of the V8 heap in use plus memory held outside it by JavaScript objects (buffers). */
function javaScriptMemory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** What prints OUTPUT_MB of LINE_CHARACTERS-character lines, typed at each kind of prompt. */
const OUTPUT_COMMANDS = {
  // Out-Default formats every string and writes it through the host UI: one host call per line.
  powershell: `$s = 'x' * ${LINE_CHARACTERS}; foreach ($i in 1..${Math.round((OUTPUT_MB * 1e6) / (LINE_CHARACTERS + 1))}) { $s }`,
  // The lab's cmd is /bin/sh (e2e/lab/README.md): stdout streams as fast as the shell writes it.
  cmd: `head -c ${Math.round((OUTPUT_MB * 1e6 * LINE_CHARACTERS) / (LINE_CHARACTERS + 1))} /dev/zero | tr '\\0' x | fold -w ${LINE_CHARACTERS}`,
} as const;

async function outputRun(
  name: string,
  shell: keyof typeof OUTPUT_COMMANDS,
  lab: RunningLab,
  rendererDirectory: string,
  browser: Awaited<ReturnType<typeof launchChromium>>,
  terminalFlowControl: FlowControlOptions | null | undefined,
): Promise<OutputRun> {
  const app = await openApp(lab, rendererDirectory, browser, terminalFlowControl, shell);
  try {
    const sessionId = await connectFromSidebar(app);
    global.gc?.();
    const memory = new PeakMemory();
    let peakUnacknowledged = 0;
    const heapBefore = javaScriptMemory();
    // The page's JS heap: where output main sent ahead waits for xterm (the renderer's queue, xterm's buffer).
    const devtools = await app.page.context().newCDPSession(app.page);
    const pageHeap = async () => ((await devtools.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    const pageHeapBefore = await pageHeap();
    let peakPageHeap = pageHeapBefore;
    const pageSampler = setInterval(
      () =>
        void pageHeap().then(
          (used) => (peakPageHeap = Math.max(peakPageHeap, used)),
          () => undefined,
        ),
      100,
    );
    let peakHeap = heapBefore;
    const sampler = setInterval(() => {
      peakHeap = Math.max(peakHeap, javaScriptMemory());
      peakUnacknowledged = Math.max(
        peakUnacknowledged,
        app.bridge.app.services.sessions.unacknowledgedCharacters(sessionId),
      );
    }, 20);
    const cpuBefore = cpuSecondsByRole();
    const { wallMs, cpuMs } = await measure(async () => {
      const prompted = nextPrompt(app);
      await app.page.keyboard.type(OUTPUT_COMMANDS[shell]);
      await app.page.keyboard.press('Enter');
      await prompted;
      await written(app, sessionId);
    });
    clearInterval(sampler);
    clearInterval(pageSampler);
    await devtools.detach();
    const cpuAfter = cpuSecondsByRole();
    const cpuSeconds = Object.fromEntries(CPU_ROLES.map((role) => [role, cpuAfter[role] - cpuBefore[role]])) as Record<
      CpuRole,
      number
    >;
    return {
      name,
      wallMs,
      cpuMs,
      cpuSeconds,
      peakUnacknowledged,
      heapGrowthMiB: (peakHeap - heapBefore) / MiB,
      peakMiB: memory.stop().peakMiB,
      pageHeapGrowthMiB: (peakPageHeap - pageHeapBefore) / MiB,
    };
  } finally {
    await app.close();
  }
}

async function sessionsMemory(
  lab: RunningLab,
  rendererDirectory: string,
  browser: Awaited<ReturnType<typeof launchChromium>>,
): Promise<{ idle: MemoryFigures; open: MemoryFigures; openMs: number }> {
  const app = await openApp(lab, rendererDirectory, browser);
  try {
    const { sessions } = app.bridge.app.services;
    await connectFromSidebar(app);
    const settle = async () => {
      global.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 500));
      global.gc?.();
      return { rssMiB: process.memoryUsage.rss() / MiB, heapMiB: javaScriptMemory() / MiB };
    };
    const idle = await settle();
    const opened = performance.now();
    const ids: string[] = [];
    for (let index = 1; index < SESSIONS; index++) {
      const prompted = nextPrompt(app);
      ids.push((await sessions.connect({ hostId: app.hostId })).sessionId);
      await prompted;
    }
    const openMs = performance.now() - opened;
    const open = await settle();
    if ((await sessions.list()).filter((session) => session.state === 'connected').length !== SESSIONS) {
      throw new Error(`not all ${SESSIONS} sessions are connected`);
    }
    return { idle, open, openMs };
  } finally {
    await app.close();
  }
}

const lab = await startLab();
const rendererDirectory = path.resolve('dist/renderer-bench');
// Built by a child process, so Vite's memory is not counted as main's.
execFileSync('npx', ['vite', 'build', '--logLevel', 'error', '--outDir', rendererDirectory], { stdio: 'inherit' });
const browser = await launchChromium();
try {
  // Start to first prompt, measured first so pwsh and Chromium start as cold as a user's first connect.
  const first = await openApp(lab, rendererDirectory, browser);
  const connected = await measure(() => connectFromSidebar(first));
  await first.close();
  console.log('App start to first prompt (bridge + services, page to sidebar, click to prompt written):');
  printTable(
    ['step', 'ms'],
    [
      ['main services + bridge up', first.startedMs.toFixed(0)],
      ['page loaded, hosts shown', first.loadedMs.toFixed(0)],
      ['Enter on the host → prompt written', connected.wallMs.toFixed(0)],
      ['total', (first.startedMs + first.loadedMs + connected.wallMs).toFixed(0)],
    ],
  );

  const runs = [
    await outputRun(
      'PowerShell, with flow control (default)',
      'powershell',
      lab,
      rendererDirectory,
      browser,
      undefined,
    ),
    await outputRun('PowerShell, without flow control', 'powershell', lab, rendererDirectory, browser, null),
    await outputRun('cmd, with flow control (default)', 'cmd', lab, rendererDirectory, browser, undefined),
    await outputRun('cmd, without flow control', 'cmd', lab, rendererDirectory, browser, null),
  ];
  console.log(
    `\n${OUTPUT_MB} MB typed-command output to the next prompt written by xterm (${LINE_CHARACTERS}-char lines):`,
  );
  printTable(
    [
      'run',
      'wall s',
      'MB/s',
      'main CPU s',
      'main peak RSS MiB',
      'main peak JS heap growth MiB',
      'page peak JS heap growth MiB',
      'peak unacked chars',
    ],
    runs.map((run) => [
      run.name,
      (run.wallMs / 1000).toFixed(1),
      (OUTPUT_MB / (run.wallMs / 1000)).toFixed(2),
      (run.cpuMs / 1000).toFixed(1),
      run.peakMiB.toFixed(0),
      run.heapGrowthMiB.toFixed(0),
      run.pageHeapGrowthMiB.toFixed(0),
      run.peakUnacknowledged.toLocaleString('en'),
    ]),
  );
  console.log('CPU seconds per process during each run (the machine has ' + os.availableParallelism() + ' CPUs):');
  printTable(
    ['run', ...CPU_ROLES],
    runs.map((run) => [run.name, ...CPU_ROLES.map((role) => run.cpuSeconds[role].toFixed(1))]),
  );
  for (const [shell, withFlow, withoutFlow] of [
    ['PowerShell', runs[0], runs[1]],
    ['cmd', runs[2], runs[3]],
  ] as const) {
    console.log(
      `${shell}, ratio with/without flow control: throughput ${(withoutFlow!.wallMs / withFlow!.wallMs).toFixed(2)}×, ` +
        `peak unacknowledged ${(withFlow!.peakUnacknowledged / withoutFlow!.peakUnacknowledged).toFixed(2)}×, ` +
        `page peak JS heap growth ${(withFlow!.pageHeapGrowthMiB / Math.max(1, withoutFlow!.pageHeapGrowthMiB)).toFixed(2)}×`,
    );
  }

  const memory = await sessionsMemory(lab, rendererDirectory, browser);
  console.log(`\nMain memory with ${SESSIONS} sessions open to the lab (after GC):`);
  const perSession = (figure: keyof MemoryFigures) =>
    ((memory.open[figure] - memory.idle[figure]) / (SESSIONS - 1)).toFixed(2);
  printTable(
    ['measure', 'one session MiB', `${SESSIONS} sessions MiB`, 'per extra session MiB'],
    [
      ['resident set', memory.idle.rssMiB.toFixed(0), memory.open.rssMiB.toFixed(0), perSession('rssMiB')],
      ['JS heap + external', memory.idle.heapMiB.toFixed(1), memory.open.heapMiB.toFixed(1), perSession('heapMiB')],
    ],
  );
  console.log(`opening ${SESSIONS - 1} more sessions one after another: ${(memory.openMs / 1000).toFixed(1)} s`);
} finally {
  await browser.close();
  await lab.stop();
  await rm(rendererDirectory, { recursive: true, force: true });
}
