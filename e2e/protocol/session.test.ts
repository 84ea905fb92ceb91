import type { Socket } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { SpnegoContext } from '../../core/auth/spnego';
import type { PSValue } from '../../core/psrp/clixml';
import { scriptPipeline, textOf } from '../../core/psrp/session';
import { selectMechanism, type AuthSelection } from '../../main/session/auth-selection';
import { PowerShellSession } from '../../main/session/powershell-session';
import type { SessionConnectionOptions } from '../../main/session/session-options';
import { WinRSSession, type OutputStreamName } from '../../main/session/winrs-session';
import {
  directTcpConnector,
  type AuthMechanism,
  type TcpConnector,
  type TransportAuthContext,
} from '../../main/transport';
import { labAdmin } from '../support/lab';

// The session drivers of main/session against the lab in this process: WinRS and PowerShell sessions over
// NTLM with message encryption, concurrent requests on a second connection, recovery from a dropped
// connection and from a forgotten security context, and nothing left open (sockets, shells) after close().

const lab = inject('lab');
const [alice] = lab.accounts;
const offlineKerberos = new URL('../support/krb5-offline.conf', import.meta.url).pathname;

const admin = labAdmin(lab);

const liveShells = async () => ((await admin('GET', '/shells')) as { shell_id: string }[]).map((s) => s.shell_id);

afterEach(async () => {
  await admin('DELETE', '/faults');
  await admin('POST', '/settings/reset');
});

/** Every socket the session's transports open, to check that close() leaves none behind. */
function recordingConnector(): { connector: TcpConnector; sockets: Socket[] } {
  const sockets: Socket[] = [];
  return {
    sockets,
    connector: async (target, timeoutMs) => {
      const socket = await directTcpConnector(target, timeoutMs);
      sockets.push(socket);
      return socket;
    },
  };
}

async function connection(
  selection: AuthSelection = { method: 'ntlm', userName: alice!.user, password: alice!.password },
  kerberosConfig = offlineKerberos,
): Promise<SessionConnectionOptions & { sockets: Socket[]; contexts: TransportAuthContext[] }> {
  const inner = await selectMechanism(selection, {
    hostName: lab.host_name,
    kerberos: { krb5ConfigPaths: [kerberosConfig], environment: {} },
  });
  const contexts: TransportAuthContext[] = [];
  const mechanism: AuthMechanism<TransportAuthContext> = {
    ...inner,
    newContext: (info) => {
      const context = inner.newContext(info);
      contexts.push(context);
      return context;
    },
  };
  const { connector, sockets } = recordingConnector();
  return { transport: { endpoint: lab.http_url, hostName: lab.host_name, mechanism, connector }, sockets, contexts };
}

async function expectAllClosed(sockets: readonly Socket[]): Promise<void> {
  expect(sockets.length).toBeGreaterThan(0);
  await expect.poll(() => sockets.every((socket) => socket.destroyed && socket.closed)).toBe(true);
}

describe('WinRSSession against the lab', () => {
  it('sends Ctrl+C on a second connection beside the long poll, then closes the shell and every socket', async () => {
    const options = await connection();
    const session = await WinRSSession.open(options);
    const output: [OutputStreamName, string][] = [];
    const command = session.run('printf "ready\\n"; sleep 30', [], {
      onOutput: (stream, text) => output.push([stream, text]),
    });
    await expect.poll(() => output).toEqual([['stdout', 'ready\n']]);
    const started = Date.now();
    command.signal('ctrl_c');
    expect(await command.exitCode).toBe(130);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(session.connections).toBe(2);
    expect(await liveShells()).toContain(session.shellId.toUpperCase());
    await session.close();
    expect(await liveShells()).not.toContain(session.shellId.toUpperCase());
    await expectAllClosed(options.sockets);
  });
});

describe('PowerShellSession against the lab', () => {
  const collect = (values: PSValue[]) => ({ onOutput: (value: PSValue) => values.push(value) });
  const texts = (values: PSValue[]) => values.map(textOf);

  it('runs pipelines over NTLM with encryption, stops one beside its long poll, and closes everything', async () => {
    const options = await connection();
    const session = await PowerShellSession.open(options);
    const values: PSValue[] = [];
    const first = session.invoke(scriptPipeline('1..3; $env:WINRM_LAB_USER'), collect(values));
    expect(await first.finished).toEqual({ state: 'Completed', error: undefined, hadErrors: false });
    expect(texts(values)).toEqual(['1', '2', '3', 'LAB\\alice']);

    const sleeping = session.invoke(scriptPipeline('"sleeping"; Start-Sleep 600'), collect(values));
    await expect.poll(() => texts(values).at(-1)).toBe('sleeping');
    const started = Date.now();
    sleeping.stop();
    expect((await sleeping.finished).state).toBe('Stopped');
    expect(Date.now() - started).toBeLessThan(2_000);

    const after = session.invoke(scriptPipeline('"still usable"'), collect(values));
    expect((await after.finished).state).toBe('Completed');
    expect(texts(values).at(-1)).toBe('still usable');
    const shellId = session.shellId!;
    expect(await liveShells()).toContain(shellId);
    await session.close();
    expect(await liveShells()).not.toContain(shellId);
    await expectAllClosed(options.sockets);
  });

  it('loses and repeats nothing when the connection drops during an empty long poll', async () => {
    await admin('POST', '/settings', { max_timeout_ms: 1000 });
    const options = await connection();
    const session = await PowerShellSession.open(options);
    const values: PSValue[] = [];
    const pipeline = session.invoke(scriptPipeline('"a"; Start-Sleep 3; "b"'), {
      onOutput: (value) => {
        values.push(value);
        if (values.length === 1) void admin('POST', '/faults', { kind: 'drop' });
      },
    });
    expect((await pipeline.finished).state).toBe('Completed');
    expect(texts(values)).toEqual(['a', 'b']);
    expect(await admin('GET', '/faults')).toEqual([]);
    await session.close();
    await expectAllClosed(options.sockets);
  });

  it('survives the server forgetting its security contexts mid-pipeline (re-authenticates, replays)', async () => {
    const options = await connection();
    const session = await PowerShellSession.open(options);
    const values: PSValue[] = [];
    let invalidated: unknown;
    const pipeline = session.invoke(scriptPipeline('1..3 | ForEach-Object { $_; Start-Sleep -Milliseconds 600 }'), {
      onOutput: (value) => {
        values.push(value);
        if (values.length === 1) invalidated = admin('POST', '/faults/invalidate-auth');
      },
    });
    expect((await pipeline.finished).state).toBe('Completed');
    expect(texts(values)).toEqual(['1', '2', '3']);
    expect(await invalidated).toMatchObject({ invalidated: expect.any(Number) });
    expect(options.contexts.length).toBeGreaterThan(1); // a fresh context for the new connection
    await session.close();
    await expectAllClosed(options.sockets);
  });

  it('negotiates Kerberos first when a ticket can be had, NTLM when not', async () => {
    const selection = { method: 'negotiate', userName: alice!.user, password: alice!.password } as const;
    for (const [config, expected] of [
      [lab.krb5_conf as string, 'Kerberos'],
      [offlineKerberos, 'NTLM'],
    ] as const) {
      const options = await connection(selection, config);
      const session = await PowerShellSession.open(options);
      const values: PSValue[] = [];
      await session.invoke(scriptPipeline('$env:WINRM_LAB_USER'), collect(values)).finished;
      expect(texts(values)).toEqual(['LAB\\alice']);
      expect((options.contexts[0] as unknown as SpnegoContext).selectedMechanism).toBe(expected);
      await session.close();
    }
  });
});
