import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors';
import { SignalCode, WSManFaultCode } from '../../core/wsman';
import { basicMechanism, ConnectionLostError } from '../transport';
import { FakeWinRSHost, type ReceiveReply } from './test-support/fake-winrs-host';
import { WinRSOperationError, WinRSSession, type CommandOptions, type OutputStreamName } from './winrs-session';

const mechanism = basicMechanism({ user: 'alice', password: 'pw' });

function openSession(host: FakeWinRSHost): Promise<WinRSSession> {
  return WinRSSession.open({
    transport: { endpoint: 'http://h:5985/wsman', mechanism, encryption: 'never' },
    openTransport: host.open,
  });
}

/** Collects a command's output as [stream, text] pairs. */
function collector(extra: Partial<CommandOptions> = {}) {
  const output: [OutputStreamName, string][] = [];
  return { output, options: { onOutput: (stream, text) => output.push([stream, text]), ...extra } as CommandOptions };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('WinRSSession', () => {
  it('streams output across empty long polls, returns the exit code, releases the command and deletes the shell', async () => {
    const host = new FakeWinRSHost();
    host.scripts.push([
      { stdout: 'one\n' },
      'timeout',
      'timeout',
      { stderr: 'two\n' },
      { stdout: 'three\n', exitCode: 3 },
    ]);
    const session = await openSession(host);
    const { output, options } = collector();
    const command = session.run('cmd', ['/c', 'x'], options);
    expect(await command.exitCode).toBe(3);
    expect(output).toEqual([
      ['stdout', 'one\n'],
      ['stderr', 'two\n'],
      ['stdout', 'three\n'],
    ]);
    await session.close();
    expect(host.operations()).toEqual([
      'Create',
      'Command',
      ...Array<'Receive'>(5).fill('Receive'),
      'Signal',
      'Delete',
    ]);
    expect(host.requests.find((request) => request.operation === 'Signal')?.signalCode).toBe(SignalCode.terminate);
    expect(host.requests.filter((request) => request.operation === 'Receive').every((r) => r.idempotent)).toBe(true);
    expect(host.requests.find((request) => request.operation === 'Command')?.idempotent).toBe(false);
    // Nothing concurrent happened, so one connection carried everything; close() closed it.
    expect(host.transports.map((transport) => [transport.closed, transport.inFlight])).toEqual([[true, 0]]);
  });

  it('sends Ctrl+C on a second connection while the Receive long-polls on the first', async () => {
    const host = new FakeWinRSHost();
    const interrupted = deferred<ReceiveReply>();
    host.scripts.push([{ stdout: 'started\n' }, interrupted.promise]);
    const session = await openSession(host);
    const { output, options } = collector();
    const command = session.run('ping', ['-t', 'h'], options);
    await expect.poll(() => output.length).toBe(1);
    await expect.poll(() => host.operations().filter((operation) => operation === 'Receive').length).toBe(2);
    command.signal('ctrl_c');
    await expect.poll(() => host.operations().at(-1)).toBe('Signal');
    const receive = host.requests.filter((request) => request.operation === 'Receive').at(-1)!;
    const signal = host.requests.at(-1)!;
    expect(signal.signalCode).toBe(SignalCode.ctrlC);
    expect(signal.connection).not.toBe(receive.connection);
    interrupted.resolve({ stdout: '^C\n', exitCode: 130 });
    expect(await command.exitCode).toBe(130);
    await session.close();
    expect(session.connections).toBe(2);
    expect(host.transports.every((transport) => transport.closed && transport.inFlight === 0)).toBe(true);
  });

  it('stops receiving above the high watermark until the consumer acknowledges output', async () => {
    const host = new FakeWinRSHost();
    host.scripts.push([{ stdout: 'x'.repeat(60) }, { stdout: 'y'.repeat(60) }, { stdout: 'z', exitCode: 0 }]);
    const session = await openSession(host);
    const { output, options } = collector({ flowControl: { highWatermark: 100, lowWatermark: 10 } });
    const command = session.run('type', ['big.txt'], options);
    await expect.poll(() => output.length).toBe(2);
    await settle();
    const receives = () => host.operations().filter((operation) => operation === 'Receive').length;
    expect(receives()).toBe(2); // 120 unacknowledged > 100: no third Receive
    command.acknowledge(100); // 20 left: above the low watermark, still paused
    await settle();
    expect(receives()).toBe(2);
    command.acknowledge(10);
    expect(await command.exitCode).toBe(0);
    expect(receives()).toBe(3);
    expect(() => command.acknowledge(1000)).toThrow(UsageError);
    await session.close();
  });

  it('ends the session when a connection fails, rejecting the command and closing every connection', async () => {
    const host = new FakeWinRSHost();
    const lost = new ConnectionLostError('the connection broke', 'http://h:5985/wsman', true);
    host.scripts.push([Promise.reject(lost)]);
    const session = await openSession(host);
    const command = session.run('dir', [], collector().options);
    await expect(command.exitCode).rejects.toBe(lost);
    expect(host.transports.every((transport) => transport.closed)).toBe(true);
    expect(() => session.run('dir', [], collector().options)).toThrow(lost);
    await session.close();
    expect(host.operations()).not.toContain('Delete');
  });

  it('reports a refused shell as a WinRSOperationError and leaves nothing open', async () => {
    const host = new FakeWinRSHost();
    host.refuseShell = true;
    const error = await openSession(host).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WinRSOperationError);
    expect(error).toMatchObject({ operation: 'Create', fault: { code: WSManFaultCode.QuotaMaxShells } });
    expect((error as Error).message).toBe('the server refused to create the shell: too many shells');
    expect(host.transports.every((transport) => transport.closed)).toBe(true);
  });

  it('reports a refused command, and the session stays usable', async () => {
    const host = new FakeWinRSHost();
    host.refuseCommand = true;
    const session = await openSession(host);
    const refused = session.run('nonexistent.exe', [], collector().options);
    await expect(refused.exitCode).rejects.toThrow(/refused to start the command: The system cannot find the file/);
    host.refuseCommand = false;
    host.scripts.push([{ stdout: 'ok', exitCode: 0 }]);
    expect(await session.run('echo', ['ok'], collector().options).exitCode).toBe(0);
    await session.close();
  });

  it('closing with a command still running deletes the shell and rejects the command', async () => {
    const host = new FakeWinRSHost();
    const never = deferred<ReceiveReply>();
    host.scripts.push([never.promise]);
    const session = await openSession(host);
    const command = session.run('sleep', ['600'], collector().options);
    await expect.poll(() => host.operations().at(-1)).toBe('Receive');
    await session.close();
    await expect(command.exitCode).rejects.toThrow('the session was closed');
    expect(host.operations().at(-1)).toBe('Delete');
    expect(host.transports.every((transport) => transport.closed && transport.inFlight === 0)).toBe(true);
    never.resolve('timeout'); // an answer after close reaches nobody
    await settle();
    expect(host.operations().at(-1)).toBe('Delete');
  });
});
