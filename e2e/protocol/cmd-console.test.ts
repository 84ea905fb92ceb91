import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostProfileInput } from '../../core/contract/host-profile';
import type { SessionTerminalEvent, TerminalEventDto } from '../../core/contract/session-service';
import type { SessionServiceImpl } from '../../main/services/session-service';
import { DEFAULT_MAX_ENVELOPE_SIZE } from '../../main/session/session-options';
import { labAdmin } from '../support/lab';
import { labHostProfile, sessionServiceFor } from '../support/lab-session-service';

// cmd (WinRS) sessions and certificate authentication of the app through SessionServiceImpl against the lab:
// the console runs `cmd.exe`, which in the lab is an interactive prompt over /bin/sh (e2e/lab/README.md: `<dir>>`
// prompt, CR LF lines, ctrl_c stops the running line), so the WinRS console meets a real interpreter that prints
// its own prompt, streams stdout and stderr, and exits.

const lab = inject('lab');
const [alice] = lab.accounts;
const serverCerts = lab.server_certs as Record<string, { fingerprint_sha256: string }>;

const admin = labAdmin(lab);
const FLOW_CONTROL = { highWatermark: 64 * 1024, lowWatermark: 16 * 1024 };

const open: { sessions: SessionServiceImpl; sessionId: string }[] = [];
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-cmd-console-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

afterEach(async () => {
  for (const { sessions, sessionId } of open.splice(0)) await sessions.disconnect({ sessionId }).catch(() => undefined);
});

/** A cmd host: the lab's NTLM over HTTP profile unless `settings` say otherwise. */
const profile = (settings: Partial<HostProfileInput>) => labHostProfile(lab, { shell: 'cmd', ...settings });

async function connect(host = profile({}), secret: string | undefined = alice!.password) {
  const sessions = sessionServiceFor(host, {
    secret,
    hostTrust: { pinnedSha256: [serverCerts.chain!.fingerprint_sha256], authorities: [] },
    terminalFlowControl: FLOW_CONTROL,
  });
  const events: SessionTerminalEvent[] = [];
  const states: string[] = [];
  sessions.onDidTerminalEvent((event) => events.push(event));
  sessions.onDidChangeSessionState((summary) => states.push(summary.state));
  const { sessionId } = await sessions.connect({ hostId: host.id });
  open.push({ sessions, sessionId });
  return { sessions, sessionId, events, states };
}

type Connected = Awaited<ReturnType<typeof connect>>;

const prompts = (events: readonly SessionTerminalEvent[]) =>
  events.filter((event) => event.event.type === 'prompt').length;

/** The text shown by the events: stdout plain, stderr marked `!`. */
const shown = (events: readonly TerminalEventDto[]) =>
  events.map((event) =>
    event.type === 'host-write' ? (event.foreground === 'Red' ? `!${event.text}` : event.text) : `<${event.type}>`,
  );

/** Waits for the first prompt, acknowledging output as a terminal does (a prompt follows written output). */
async function firstPrompt(session: Connected): Promise<void> {
  await expect.poll(() => acknowledgedPrompts(session, 0), { timeout: 30_000 }).toBeGreaterThan(0);
}

async function acknowledgedPrompts(session: Connected, start: number): Promise<number> {
  await acknowledgeAll(session);
  return prompts(session.events.slice(start));
}

async function acknowledgeAll({ sessions, sessionId, events }: Connected): Promise<void> {
  const last = events.at(-1);
  if (last !== undefined) await sessions.acknowledgeOutput({ sessionId, sequence: last.sequence });
}

/** Runs a line and returns its events up to and including the next prompt (acknowledged). */
async function run(session: Connected, line: string): Promise<TerminalEventDto[]> {
  const start = session.events.length;
  await session.sessions.submit({ sessionId: session.sessionId, text: line });
  await expect.poll(() => acknowledgedPrompts(session, start), { timeout: 30_000 }).toBe(1);
  return session.events.slice(start).map(({ event }) => event);
}

describe('cmd sessions against the lab', () => {
  it('runs lines in one interpreter: stdout, stderr in red, exit codes, its own prompt', async () => {
    const session = await connect();
    await firstPrompt(session);
    const prompt = session.events.findLast((event) => event.event.type === 'prompt')!.event;
    expect(prompt).toMatchObject({ type: 'prompt', prompt: expect.stringMatching(/^\/.*>$/) });

    expect(shown(await run(session, 'echo hi'))).toEqual(['hi\n', '<prompt>']);
    expect(shown(await run(session, 'echo oops >&2'))).toEqual(['!oops\n', '<prompt>']);
    // The interpreter keeps its state between lines, as cmd keeps variables and the directory.
    await run(session, 'GREETING=hello; cd /');
    expect(shown(await run(session, 'echo "$GREETING in $PWD"'))).toEqual(['hello in /\n', '<prompt>']);
    expect(shown(await run(session, 'sh -c "exit 7"; echo "exit code $?"'))).toEqual(['exit code 7\n', '<prompt>']);
    expect(shown(await run(session, `printf '%s\\n' "$WINRM_LAB_USER"`))).toEqual([
      expect.stringMatching(/\\alice\n$/),
      '<prompt>',
    ]);
  });

  it('stops a long command with Ctrl+C and keeps the shell; `exit` ends the session', async () => {
    const session = await connect();
    const { sessions, sessionId, events } = session;
    await firstPrompt(session);
    const start = events.length;
    await sessions.submit({ sessionId, text: 'echo started; sleep 600' });
    await expect.poll(() => shown(events.slice(start).map(({ event }) => event))).toContain('started\n');
    await sessions.interrupt({ sessionId });
    await expect.poll(() => acknowledgedPrompts(session, start), { timeout: 30_000 }).toBe(1);
    expect(shown(await run(session, 'echo still-here'))).toEqual(['still-here\n', '<prompt>']);

    await sessions.submit({ sessionId, text: 'exit 3' });
    await expect.poll(() => session.states.at(-1), { timeout: 30_000 }).toBe('disconnected');
    expect(await sessions.list()).toEqual([]);
    expect(await admin('GET', '/shells')).toEqual([]);
  });

  it('holds 1 MB of output at the high watermark until the terminal acknowledges, then delivers it all once', async () => {
    const session = await connect();
    const { sessions, sessionId, events } = session;
    await firstPrompt(session);
    const start = events.length;
    // 16,384 numbered lines of 64 characters: 1 MiB.
    await sessions.submit({
      sessionId,
      text: "i=0; while [ $i -lt 16384 ]; do printf '%06d%057d\\n' $i 0; i=$((i+1)); done",
    });
    await expect
      .poll(() => sessions.unacknowledgedCharacters(sessionId), { timeout: 30_000 })
      .toBeGreaterThan(FLOW_CONTROL.highWatermark);
    // Paused: the Receive in flight at the crossing lands, then nothing more comes.
    await sleep(1_500);
    const held = sessions.unacknowledgedCharacters(sessionId);
    await sleep(1_500);
    expect(sessions.unacknowledgedCharacters(sessionId)).toBe(held);
    expect(held).toBeLessThanOrEqual(FLOW_CONTROL.highWatermark + DEFAULT_MAX_ENVELOPE_SIZE);
    expect(prompts(events.slice(start))).toBe(0);

    sessions.onDidTerminalEvent(({ sequence }) => void sessions.acknowledgeOutput({ sessionId, sequence }));
    await acknowledgeAll(session);
    // Output cut mid-line that stays quiet for a moment may be taken for a prompt on the way (then withdrawn):
    // what counts is that the text is complete and the interpreter's own prompt follows it.
    const expected = Array.from({ length: 16_384 }, (_, i) => `${String(i).padStart(6, '0')}${'0'.repeat(57)}\n`);
    const text = () =>
      shown(
        events
          .slice(start)
          .map(({ event }) => event)
          .filter((event) => event.type !== 'prompt'),
      ).join('');
    await expect.poll(text, { timeout: 60_000 }).toHaveLength(expected.join('').length);
    expect(text()).toBe(expected.join(''));
    await expect
      .poll(() => events.at(-1)?.event, { timeout: 30_000 })
      .toEqual({ type: 'prompt', prompt: expect.stringMatching(/^\/.*>$/) });
    expect(sessions.unacknowledgedCharacters(sessionId)).toBe(0);
  });
});

describe('certificate authentication from a host profile against the lab', () => {
  const https = {
    transport: 'https',
    port: Number(new URL(lab.https_url).port),
    auth: 'certificate',
    user: '',
  } as const;

  async function combinedPem(name: string): Promise<string> {
    const file = path.join(directory, name);
    const [certificate, key] = await Promise.all([
      readFile(lab.client_cert as string),
      readFile(lab.client_key as string),
    ]);
    await writeFile(file, Buffer.concat([certificate, key]), { mode: 0o600 });
    return file;
  }

  it("signs in as the certificate's user with a PEM file holding the certificate and its key", async () => {
    const file = await combinedPem('alice.pem');
    const session = await connect(
      profile({
        ...https,
        advanced: { spnHostname: lab.host_name, clientCertificate: { source: 'file', path: file } },
      }),
      undefined,
    );
    await firstPrompt(session);
    expect(shown(await run(session, `printf '%s\\n' "$WINRM_LAB_USER"`))).toEqual([
      expect.stringMatching(/\\alice\n$/),
      '<prompt>',
    ]);
  });

  it('fails plainly for a missing file and a file without a key', async () => {
    const missing = await connect(
      profile({
        ...https,
        advanced: { clientCertificate: { source: 'file', path: path.join(directory, 'nope.pem') } },
      }),
      undefined,
    );
    await expect.poll(() => missing.states.at(-1), { timeout: 30_000 }).toBe('failed');
    const [summary] = await missing.sessions.list();
    expect(summary?.error?.message).toMatch(
      /^Could not connect: The client certificate file .*nope\.pem cannot be read: it does not exist\.$/,
    );

    const certificateOnly = path.join(directory, 'certificate-only.pem');
    await writeFile(certificateOnly, await readFile(lab.client_cert as string));
    const keyless = await connect(
      profile({ ...https, advanced: { clientCertificate: { source: 'file', path: certificateOnly } } }),
      undefined,
    );
    await expect.poll(() => keyless.states.at(-1), { timeout: 30_000 }).toBe('failed');
    const [keylessSummary] = await keyless.sessions.list();
    expect(keylessSummary?.error?.message).toMatch(/cannot be used: it holds no private key/);
  });
});
