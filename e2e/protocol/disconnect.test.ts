import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { PSValue } from '../../core/psrp/clixml';
import { scriptPipeline, textOf } from '../../core/psrp/session';
import { selectMechanism } from '../../main/session/auth-selection';
import { PowerShellOperationError, PowerShellSession } from '../../main/session/powershell-session';
import type { SessionConnectionOptions } from '../../main/session/session-options';
import { directTcpConnector } from '../../main/transport';
import { labAdmin } from '../support/lab';

// Disconnect, Reconnect (same client) and Connect (new client) of a PowerShell session whose pipeline keeps
// running on the lab meanwhile: the output produced while no client was attached arrives once, in order.

const lab = inject('lab');
const [alice] = lab.accounts;
const offlineKerberos = new URL('../support/krb5-offline.conf', import.meta.url).pathname;

/** The lab's fault for a Reconnect under another client's SessionId (e2e/lab/README.md). */
const SESSION_ID_MISMATCH = 2150859206;
/** The lab's fault for a Connect to a shell a client is attached to. */
const SHELL_CONNECTED_ELSEWHERE = 2150859213;
const ONE_TO_FIVE = ['1', '2', '3', '4', '5'];

/**
 * A script that writes 1, waits until the test opens its gate (a file the lab's pwsh, on this machine,
 * sees), then writes 2..5 one every 100 ms: the test decides what is produced while it is disconnected.
 */
function gatedCount(): { script: string; open: () => void } {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'winrm-desk-gate-'));
  gates.push(directory);
  const gate = path.join(directory, 'open');
  return {
    script: `1; while (-not (Test-Path -LiteralPath '${gate}')) { Start-Sleep -Milliseconds 50 }; 2..5 | ForEach-Object { $_; Start-Sleep -Milliseconds 100 }`,
    open: () => writeFileSync(gate, ''),
  };
}
const gates: string[] = [];

interface LabShell {
  readonly shell_id: string;
  readonly state: string;
  readonly pipelines?: readonly { readonly command_id: string; readonly finished: boolean }[];
}

const labShells = async () => (await labAdmin(lab)('GET', '/shells')) as LabShell[];

const labShell = async (shellId: string) => (await labShells()).find((shell) => shell.shell_id === shellId);
const labState = async (shellId: string) => (await labShell(shellId))?.state;
/** Whether the lab's pwsh has finished the pipeline (all its output produced, queued for a client). */
const finishedOnServer = async (shellId: string, pipelineId: string) =>
  (await labShell(shellId))?.pipelines?.find((pipeline) => pipeline.command_id === pipelineId.toUpperCase())
    ?.finished === true;

/** A new client: its own connections (sockets recorded) and, per session, its own WS-Man SessionId. */
async function client(): Promise<SessionConnectionOptions & { sockets: Socket[] }> {
  const mechanism = await selectMechanism(
    { method: 'ntlm', userName: alice!.user, password: alice!.password },
    { hostName: lab.host_name, kerberos: { krb5ConfigPaths: [offlineKerberos], environment: {} } },
  );
  const sockets: Socket[] = [];
  return {
    sockets,
    transport: {
      endpoint: lab.http_url,
      hostName: lab.host_name,
      mechanism,
      connector: async (target, timeoutMs) => {
        const socket = await directTcpConnector(target, timeoutMs);
        sockets.push(socket);
        return socket;
      },
    },
  };
}

const collect = (values: PSValue[]) => ({ onOutput: (value: PSValue) => values.push(value) });
const texts = (values: readonly PSValue[]) => values.map(textOf);

const opened: PowerShellSession[] = [];
afterEach(async () => {
  const directories = gates.splice(0);
  for (const directory of directories) writeFileSync(path.join(directory, 'open'), '');
  await Promise.all(opened.splice(0).map((session) => session.close()));
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

async function open(options: SessionConnectionOptions): Promise<PowerShellSession> {
  const session = await PowerShellSession.open(options);
  opened.push(session);
  return session;
}

async function connect(options: SessionConnectionOptions, shellId: string): Promise<PowerShellSession> {
  const session = await PowerShellSession.connect({ ...options, shellId });
  opened.push(session);
  return session;
}

describe('PowerShellSession disconnect, reconnect and connect against the lab', () => {
  it('disconnects mid-pipeline, closes its connections, and on reconnect receives the rest exactly once', async () => {
    const options = await client();
    const session = await open(options);
    const values: PSValue[] = [];
    const gated = gatedCount();
    const pipeline = session.invoke(scriptPipeline(gated.script), collect(values));
    await expect.poll(() => texts(values)).toEqual(['1']);

    await session.disconnect();
    expect(session.state).toBe('Disconnected');
    expect(await labState(session.shellId!)).toBe('Disconnected');
    await expect.poll(() => options.sockets.every((socket) => socket.destroyed)).toBe(true);
    gated.open();
    await expect.poll(() => finishedOnServer(session.shellId!, pipeline.id), { timeout: 10_000 }).toBe(true);
    expect(texts(values)).toEqual(['1']);

    await session.reconnect();
    expect(session.state).toBe('Opened');
    expect(await labState(session.shellId!)).toBe('Connected');
    expect(await pipeline.finished).toEqual({ state: 'Completed', error: undefined, hadErrors: false });
    expect(texts(values)).toEqual(ONE_TO_FIVE);

    const after: PSValue[] = [];
    await session.invoke(scriptPipeline('"still usable"'), collect(after)).finished;
    expect(texts(after)).toEqual(['still usable']);
    const shellId = session.shellId!;
    await session.close();
    expect(await labState(shellId)).toBeUndefined();
  });

  it('lists the disconnected shell and its running pipeline, and a new client connects and receives the rest', async () => {
    const first = await open(await client());
    const values: PSValue[] = [];
    const gated = gatedCount();
    const pipeline = first.invoke(scriptPipeline(gated.script), collect(values));
    await expect.poll(() => texts(values)).toEqual(['1']);
    await first.disconnect();

    const second = await client();
    const listed = await PowerShellSession.listDisconnected(second);
    const shell = listed.find((candidate) => candidate.shellId === first.shellId);
    expect(shell).toMatchObject({ configurationName: 'Microsoft.PowerShell', info: { state: 'Disconnected' } });
    expect(shell?.info.owner).toMatch(/alice/i);
    expect(shell?.commands).toEqual([{ commandId: pipeline.id.toUpperCase(), state: 'Running' }]);
    gated.open();

    const session = await connect(second, shell!.shellId);
    expect(session.state).toBe('Opened');
    expect(await labState(shell!.shellId)).toBe('Connected');
    const taken = session.connectPipeline(shell!.commands[0]!.commandId, collect(values));
    expect(await taken.finished).toEqual({ state: 'Completed', error: undefined, hadErrors: false });
    expect(texts(values)).toEqual(ONE_TO_FIVE);

    const after: PSValue[] = [];
    await session.invoke(scriptPipeline('"still usable"'), collect(after)).finished;
    expect(texts(after)).toEqual(['still usable']);
    expect((await PowerShellSession.listDisconnected(second)).map((listedShell) => listedShell.shellId)).not.toContain(
      shell!.shellId,
    );
  });

  it('refuses a Reconnect once another client has connected and disconnected, with the server fault', async () => {
    const first = await open(await client());
    await first.disconnect();
    const second = await connect(await client(), first.shellId!);
    await second.disconnect();

    const error = await first.reconnect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PowerShellOperationError);
    expect(error).toMatchObject({ operation: 'Reconnect', fault: { code: SESSION_ID_MISMATCH } });
    expect((error as Error).message).toMatch(/^the server refused the Reconnect request of the PowerShell session: /);

    // The shell is still the second client's to resume.
    expect(await labState(second.shellId!)).toBe('Disconnected');
    await second.reconnect();
    const values: PSValue[] = [];
    await second.invoke(scriptPipeline('"back"'), collect(values)).finished;
    expect(texts(values)).toEqual(['back']);
  });

  it('refuses a Connect to a shell another client is attached to, and leaves nothing open', async () => {
    const attached = await open(await client());
    const options = await client();
    const error = await PowerShellSession.connect({ ...options, shellId: attached.shellId! }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PowerShellOperationError);
    expect(error).toMatchObject({ operation: 'Connect' });
    expect((error as PowerShellOperationError).fault.code).toBe(SHELL_CONNECTED_ELSEWHERE);
    await expect.poll(() => options.sockets.every((socket) => socket.destroyed)).toBe(true);
    const values: PSValue[] = [];
    await attached.invoke(scriptPipeline('"unaffected"'), collect(values)).finished;
    expect(texts(values)).toEqual(['unaffected']);
  });
});
