import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  TERMINAL_FLOW_CONTROL,
  type SessionTerminalEvent,
  type TerminalEventDto,
} from '../../core/contract/session-service';
import type { SessionServiceDependencies, SessionServiceImpl } from '../../main/services/session-service';
import { DEFAULT_MAX_ENVELOPE_SIZE } from '../../main/session/session-options';
import { labAdmin } from '../support/lab';
import { labHostProfile, sessionServiceFor } from '../support/lab-session-service';

// The app's PowerShell console through SessionServiceImpl against the lab's real pwsh: ack-based flow control
// in characters of terminal text (DESIGN.md §2.1), the terminal's size reaching Out-Default and
// $Host.UI.RawUI, and the RawUI calls a console answers (Clear-Host, title, colours).

const lab = inject('lab');
const [alice] = lab.accounts;

const host = labHostProfile(lab);

/** 40,000 distinct lines of 100 characters: 4 million characters, each line's number first. */
const LINE_COUNT = 40_000;
const MANY_LINES = `1..${LINE_COUNT} | ForEach-Object { ('{0:D6}' -f $_) + ('x' * 94) }`;
const expectedLines = Array.from(
  { length: LINE_COUNT },
  (_, index) => `${String(index + 1).padStart(6, '0')}${'x'.repeat(94)}`,
);

const open: { sessions: SessionServiceImpl; sessionId: string }[] = [];

afterEach(async () => {
  for (const { sessions, sessionId } of open.splice(0)) await sessions.disconnect({ sessionId });
});

async function connect(terminalFlowControl?: SessionServiceDependencies['terminalFlowControl']) {
  const sessions = sessionServiceFor(host, { secret: alice!.password, terminalFlowControl });
  const events: SessionTerminalEvent[] = [];
  sessions.onDidTerminalEvent((event) => events.push(event));
  const { sessionId } = await sessions.connect({ hostId: host.id });
  open.push({ sessions, sessionId });
  await expect.poll(() => prompts(events), { timeout: 30_000 }).toBe(1);
  return { sessions, sessionId, events };
}

const prompts = (events: readonly SessionTerminalEvent[]) =>
  events.filter((event) => event.event.type === 'prompt').length;

const hostLines = (events: readonly (SessionTerminalEvent | TerminalEventDto)[]) =>
  events.flatMap((item) => {
    const event = 'event' in item ? item.event : item;
    return event.type === 'host-write' ? [event.text] : [];
  });

/** Runs a line and returns the events up to and including its prompt (acknowledged as they come). */
async function run(
  { sessions, sessionId, events }: Awaited<ReturnType<typeof connect>>,
  line: string,
): Promise<TerminalEventDto[]> {
  const start = events.length;
  await sessions.submit({ sessionId, text: line });
  await expect.poll(() => prompts(events.slice(start)), { timeout: 30_000 }).toBe(1);
  await sessions.acknowledgeOutput({ sessionId, sequence: events.at(-1)!.sequence });
  return events.slice(start).map(({ event }) => event);
}

/** Samples the process's resident set while `during` runs: the peak growth over the start, in MiB. */
async function rssGrowth<T>(during: () => Promise<T>): Promise<{ result: T; peakGrowthMiB: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const result = await during();
    return { result, peakGrowthMiB: (Math.max(peak, process.memoryUsage.rss()) - before) / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
}

describe('PowerShell console flow control against the lab', () => {
  it('holds 4 MB of output at the high watermark until the terminal acknowledges, then delivers every line once', async () => {
    const console_ = await connect();
    const { sessions, sessionId, events } = console_;
    const { high } = { high: TERMINAL_FLOW_CONTROL.highWatermark };
    const { result: held, peakGrowthMiB } = await rssGrowth(async () => {
      await sessions.submit({ sessionId, text: MANY_LINES });
      await expect.poll(() => sessions.unacknowledgedCharacters(sessionId), { timeout: 30_000 }).toBeGreaterThan(high);
      // Paused: whatever Receive was in flight at the crossing lands, then nothing more comes.
      await sleep(2_000);
      const settled = sessions.unacknowledgedCharacters(sessionId);
      await sleep(2_000);
      return { settled, after: sessions.unacknowledgedCharacters(sessionId) };
    });
    expect(held.after).toBe(held.settled);
    expect(held.settled).toBeLessThanOrEqual(high + DEFAULT_MAX_ENVELOPE_SIZE);
    expect(hostLines(events).length).toBeLessThan(LINE_COUNT);
    expect(prompts(events)).toBe(1);
    globalThis.console.log(
      `flow control on: peak unacknowledged ${held.settled} characters, RSS growth ${peakGrowthMiB.toFixed(1)} MiB while held`,
    );

    // The terminal catches up: everything so far, then each event as it arrives.
    sessions.onDidTerminalEvent(({ sequence }) => void sessions.acknowledgeOutput({ sessionId, sequence }));
    await sessions.acknowledgeOutput({ sessionId, sequence: events.at(-1)!.sequence });
    await expect.poll(() => prompts(events), { timeout: 60_000 }).toBe(2);
    expect(hostLines(events).filter((line) => line !== '')).toEqual(expectedLines);
    expect(sessions.unacknowledgedCharacters(sessionId)).toBe(0);

    // Still usable, and the next line is received normally.
    expect(hostLines(await run(console_, "'after'"))).toEqual(['after']);
  });

  it('closes a session whose output is held back', async () => {
    const { sessions, sessionId } = await connect();
    await sessions.submit({ sessionId, text: MANY_LINES });
    await expect
      .poll(() => sessions.unacknowledgedCharacters(sessionId), { timeout: 30_000 })
      .toBeGreaterThan(TERMINAL_FLOW_CONTROL.highWatermark);
    open.length = 0;
    await sessions.disconnect({ sessionId });
    expect(await sessions.list()).toEqual([]);
    const shells = (await labAdmin(lab)('GET', '/shells')) as unknown[];
    expect(shells).toEqual([]);
  });

  it('without flow control delivers all 4 MB with no acknowledgement', async () => {
    const { sessions, sessionId, events } = await connect(null);
    const { peakGrowthMiB } = await rssGrowth(async () => {
      await sessions.submit({ sessionId, text: MANY_LINES });
      await expect.poll(() => prompts(events), { timeout: 60_000 }).toBe(2);
    });
    expect(hostLines(events).filter((line) => line !== '')).toEqual(expectedLines);
    const unacknowledged = sessions.unacknowledgedCharacters(sessionId);
    expect(unacknowledged).toBe(LINE_COUNT * 100);
    globalThis.console.log(
      `flow control off: peak unacknowledged ${unacknowledged} characters, RSS growth ${peakGrowthMiB.toFixed(1)} MiB`,
    );
  });
});

describe('PowerShell console size and RawUI against the lab', () => {
  const visibleWidths = (events: readonly TerminalEventDto[]) =>
    events.flatMap((event) =>
      // eslint-disable-next-line no-control-regex
      event.type === 'host-write' ? [event.text.replace(/\u001b\[[0-9;]*m/g, '').length] : [],
    );
  const wideTable = "[pscustomobject]@{ A = 'a' * 30; B = 'b' * 30; C = 'c' * 30 } | Format-Table";

  it('formats for the terminal size it was last given and reports it through $Host.UI.RawUI', async () => {
    const console_ = await connect();
    expect(hostLines(await run(console_, '$Host.UI.RawUI.WindowSize.Width'))).toEqual(['120']);
    expect(Math.max(...visibleWidths(await run(console_, wideTable)))).toBeGreaterThan(50);

    await console_.sessions.resize({ sessionId: console_.sessionId, columns: 50, rows: 20 });
    const size =
      '"$($Host.UI.RawUI.WindowSize.Width)x$($Host.UI.RawUI.WindowSize.Height) $($Host.UI.RawUI.BufferSize.Width)"';
    expect(hostLines(await run(console_, size))).toEqual(['50x20 50']);
    const table = await run(console_, wideTable);
    expect(hostLines(table).join('\n')).toContain('…');
    expect(Math.max(...visibleWidths(table))).toBeLessThanOrEqual(50);
  });

  it('keeps the title and colours scripts set, and clears the screen for Clear-Host', async () => {
    const console_ = await connect();
    expect(
      await run(console_, "$Host.UI.RawUI.WindowTitle = 'lab title'; $Host.UI.RawUI.ForegroundColor = 'Green'"),
    ).toEqual([{ type: 'prompt', prompt: expect.any(String) }]);
    expect(hostLines(await run(console_, '$Host.UI.RawUI.WindowTitle; "$($Host.UI.RawUI.ForegroundColor)"'))).toEqual([
      'lab title',
      'Green',
    ]);

    // Clear-Host as PowerShell defines it on Windows (the lab's Linux pwsh runs `clear` on the server's own
    // console instead, which never reaches a remote client).
    const windowsClearHost = [
      '$RawUI = $Host.UI.RawUI',
      '$RawUI.CursorPosition = @{X=0;Y=0}',
      "$RawUI.SetBufferContents(@{Top = -1; Bottom = -1; Right = -1; Left = -1}, @{Character = ' '; ForegroundColor = $rawui.ForegroundColor; BackgroundColor = $rawui.BackgroundColor})",
    ].join('; ');
    await run(console_, `function Clear-Host { ${windowsClearHost} }`);
    expect(await run(console_, "'before'; Clear-Host; 'after'")).toEqual([
      { type: 'host-write', text: 'before', noNewline: false },
      { type: 'clear' },
      { type: 'host-write', text: 'after', noNewline: false },
      { type: 'prompt', prompt: expect.any(String) },
    ]);
  });
});
