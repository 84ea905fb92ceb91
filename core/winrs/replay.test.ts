import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidStateError } from '../errors';
import {
  Namespace,
  WSManFault,
  WSManFaultCode,
  buildReceive,
  childElement,
  parseDuration,
  parseXml,
  parseResponse,
  shellSelectors,
  ResourceUri,
  type AnyWSManRequest,
  type WSManContext,
  type XmlElement,
} from '../wsman';
import {
  CAPTURES_DIRECTORY,
  readCapture,
  recordedRequest,
  type CapturedExchange,
} from '../wsman/test-support/captures';
import { envelopeShape } from '../wsman/test-support/envelope-shape';
import type { WinRSCommand } from './command';
import type { WinRSEvent } from './events';
import { WinRSShell, type WinRSShellOptions } from './shell';

/**
 * Replays each recorded WinRS scenario (pypsrp's `test_winrs_*` against Windows Server): our machine
 * is driven through the same user actions, every request it issues must be structurally equivalent
 * to the recorded one, and every recorded response is fed back and must produce the right events.
 */

interface Replay {
  readonly shell: WinRSShell;
  readonly commands: WinRSCommand[];
}

/** Before each exchange: the user action (if any), then who issues the request. */
interface Step {
  readonly act?: (replay: Replay) => void;
  /** For requests our machine never issues (pypsrp misuse scenarios): built directly. */
  readonly build?: (replay: Replay, context: WSManContext, messageId: string) => AnyWSManRequest;
  /** Looks at our request beyond the structural comparison. */
  readonly check?: (request: AnyWSManRequest) => void;
}

function load(file: string): CapturedExchange[] {
  return readCapture(readFileSync(new URL(file, CAPTURES_DIRECTORY), 'utf8'));
}

/** The session settings the recording was made with: the endpoint, SessionId, sizes, timeout. */
function recordedContext(requestXml: string): WSManContext {
  const header = childElement(parseXml(requestXml), Namespace.soap, 'Header') as XmlElement;
  const text = (namespace: string, localName: string) => childElement(header, namespace, localName)?.text ?? '';
  return {
    to: text(Namespace.addressing, 'To'),
    sessionId: text(Namespace.wsmv, 'SessionId').replace(/^uuid:/, ''),
    maxEnvelopeSize: Number(text(Namespace.wsman, 'MaxEnvelopeSize')),
    operationTimeoutMs: parseDuration(text(Namespace.wsman, 'OperationTimeout')),
  };
}

/** The recorded pypsrp client sent no code page: the server's default applied. */
const asRecorded = { codePage: null };

function replay(
  file: string,
  options: Partial<WinRSShellOptions>,
  steps: readonly Step[],
): { events: WinRSEvent[]; results: unknown[]; replay: Replay } {
  const exchanges = load(file);
  expect(steps, 'one step per recorded exchange').toHaveLength(exchanges.length);
  const context = recordedContext(exchanges[0]?.request ?? '');
  // Ids are inputs: each request gets the MessageID its recorded counterpart had, which the
  // recorded response's RelatesTo names. Exactly one id per exchange may be drawn.
  let nextMessageId: string | undefined;
  const newMessageId = () => {
    const id = nextMessageId;
    if (id === undefined) throw new Error('a second request was built for one exchange');
    nextMessageId = undefined;
    return id;
  };
  const shell = new WinRSShell({ context, newMessageId, ...options });
  const state: Replay = { shell, commands: [] };
  const events: WinRSEvent[] = [];
  const results: unknown[] = [];
  steps.forEach((step, index) => {
    const recorded = exchanges[index] as CapturedExchange;
    nextMessageId = recordedRequest(recorded.request).messageId;
    step.act?.(state);
    const request = step.build ? step.build(state, context, newMessageId()) : shell.dataToSend();
    if (request === undefined) throw new Error(`${file} #${index}: the machine issued no request`);
    step.check?.(request);
    expect(envelopeShape(request.envelope, recorded.overrides), `${file} #${index}`).toEqual(
      envelopeShape(recorded.request),
    );
    const response = recorded.response ?? '';
    if (step.build) {
      try {
        results.push(parseResponse(request, response));
      } catch (error) {
        results.push(error);
      }
    } else {
      shell.receive(request, response);
    }
    for (let event = shell.nextEvent(); event !== undefined; event = shell.nextEvent()) events.push(event);
  });
  expect(shell.dataToSend(), `${file}: nothing more to send`).toBeUndefined();
  return { events, results, replay: state };
}

const open: Step = { act: (r) => r.shell.open() };
const poll: Step = {};
const close: Step = { act: (r) => r.shell.close() };
const run = (command: string, args: string[], skipCmdShell = false): Step => ({
  act: (r) => {
    r.commands.push(r.shell.run(command, args, { skipCmdShell }));
  },
});
const last = (r: Replay) => r.commands[r.commands.length - 1] as WinRSCommand;
const ctrlC: Step = { act: (r) => last(r).signal('ctrl_c') };
const stdin = (text: string, end: boolean): Step => ({
  act: (r) => last(r).sendInput(new TextEncoder().encode(text), end),
});

/** A compact view of events for comparison. */
function summary(events: readonly WinRSEvent[]): string[] {
  return events.map((event) => {
    switch (event.type) {
      case 'shellCreated':
        return `shellCreated ${event.shellId}`;
      case 'shellFailed':
        return `shellFailed ${event.fault.code}`;
      case 'shellClosed':
        return `shellClosed${event.fault ? ` ${event.fault.code}` : ''}`;
      case 'commandStarted':
        return `commandStarted ${event.commandId}`;
      case 'stdout':
      case 'stderr':
        return `${event.type} ${JSON.stringify(event.text)}`;
      case 'exit':
        return `exit ${event.exitCode}`;
      case 'signalAccepted':
        return `signalAccepted ${event.signal}`;
      case 'commandClosed':
        return 'commandClosed';
      case 'commandFault':
        return `commandFault ${event.operation} ${event.fault.code}`;
    }
  });
}

/** The recorded output of a stream, decoded in one piece: the oracle for our incremental decoding. */
function recordedOutput(file: string, stream: 'stdout' | 'stderr'): string {
  const chunks = load(file).flatMap((exchange) =>
    [...(exchange.response ?? '').matchAll(/<rsp:Stream Name="(\w+)"[^>]*>([^<]*)<\/rsp:Stream>/g)]
      .filter((match) => match[1] === stream)
      .map((match) => Buffer.from(match[2] ?? '', 'base64')),
  );
  return Buffer.concat(chunks).toString('utf8');
}

/** Merges consecutive output events of a stream, which the machine may split anywhere. */
function output(events: readonly WinRSEvent[], stream: 'stdout' | 'stderr'): string {
  return events.map((event) => (event.type === stream ? event.text : '')).join('');
}

describe('WinRS replay of the recorded Windows scenarios', () => {
  it('test_winrs_standard: create, run cmd.exe /c echo hi, exit 0, ctrl_c, delete', () => {
    const { events } = replay('test_winrs_standard.yml', asRecorded, [
      open,
      run('cmd.exe', ['/c', 'echo', 'hi']),
      poll,
      ctrlC,
      close,
    ]);
    expect(summary(events)).toEqual([
      'shellCreated 4283CBDC-3706-415B-88BD-B385F3E51A53',
      'commandStarted CF84C20A-0A35-43FA-AF78-0B4711DA5F30',
      'stdout "hi\\r\\n"',
      'exit 0',
      'signalAccepted ctrl_c',
      'shellClosed',
    ]);
  });

  it('test_winrs_environment: the shell environment, including every XML-special character', () => {
    const odd = '_-(){}[]<>*+-/\\?"!@#$^&|;:i,.`~0';
    const { events } = replay(
      'test_winrs_environment.yml',
      {
        ...asRecorded,
        environment: [
          ['env1', 'var1'],
          ['1234', '5678'],
          [odd, odd],
        ],
      },
      [open, run('cmd.exe', ['/c', 'set']), poll, ctrlC, close],
    );
    const stdout = output(events, 'stdout');
    expect(stdout).toBe(recordedOutput('test_winrs_environment.yml', 'stdout'));
    expect(stdout).toContain('env1=var1\r\n');
    expect(stdout).toContain('1234=5678\r\n');
    expect(stdout).toContain(`${odd}=${odd}\r\n`);
    expect(summary(events).filter((e) => !e.startsWith('stdout'))).toEqual([
      'shellCreated 58B89A37-84F9-4874-8999-AA7578B34ABE',
      'commandStarted 5879C5BD-FCDB-4F87-9FCF-D1B8870B661C',
      'exit 0',
      'signalAccepted ctrl_c',
      'shellClosed',
    ]);
  });

  it('test_winrs_noprofile: WINRS_NOPROFILE with MustComply on Create', () => {
    const { events } = replay('test_winrs_noprofile.yml', { ...asRecorded, noProfile: true }, [
      open,
      run('cmd.exe', ['/c', 'set']),
      poll,
      ctrlC,
      close,
    ]);
    expect(output(events, 'stdout')).toBe(recordedOutput('test_winrs_noprofile.yml', 'stdout'));
    expect(output(events, 'stdout')).toContain('USERPROFILE=');
    expect(summary(events).filter((e) => !e.startsWith('stdout'))).toEqual([
      'shellCreated 7A271A26-8366-47DD-8B8C-807E1D1C614F',
      'commandStarted FF1FEC9F-9093-4DFF-9EC5-D487B67FDB9A',
      'exit 0',
      'signalAccepted ctrl_c',
      'shellClosed',
    ]);
  });

  it('test_winrs_send: stdin in two Sends, the second with End, then the output', () => {
    const { events } = replay('test_winrs_send.yml', asRecorded, [
      open,
      run('powershell.exe', ['-']),
      stdin('Write-Host "output 1";', false),
      stdin('Write-Host "output 2";', true),
      poll,
      ctrlC,
      close,
    ]);
    expect(summary(events)).toEqual([
      'shellCreated 0D6FCA9D-2D40-44C3-B691-E665BE7AA687',
      'commandStarted B0973E54-434E-4D99-B4BE-ADE584CE3BFB',
      'stdout "output 1\\noutput 2\\n"',
      'exit 0',
      'signalAccepted ctrl_c',
      'shellClosed',
    ]);
  });

  it('test_winrs_operation_timeout: Running output, two timeout faults polled through, then Done', () => {
    const { events } = replay('test_winrs_operation_timeout.yml', asRecorded, [
      open,
      run('powershell.exe', ['Write-Host hi; Start-Sleep 30; Write-Host hi again']),
      poll,
      poll,
      poll,
      poll,
      ctrlC,
      close,
    ]);
    expect(summary(events)).toEqual([
      'shellCreated 849551A1-CEC2-4ABD-8B62-652AD1053E9B',
      'commandStarted D644AE56-61E5-4C1A-A135-E599B76B3035',
      'stdout "hi\\n"',
      'stdout "hi again\\n"',
      'exit 0',
      'signalAccepted ctrl_c',
      'shellClosed',
    ]);
  });

  it('test_winrs_no_cmd_shell: a refused Command (file not found), then the full path runs', () => {
    const { events, replay: state } = replay('test_winrs_no_cmd_shell.yml', asRecorded, [
      open,
      run('powershell.exe', ['Write-Host', 'hi'], true),
      {
        act: (r) => {
          expect(last(r).state).toBe('rejected');
          r.commands.push(
            r.shell.run('C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\powershell.exe', ['Write-Host', 'hi'], {
              skipCmdShell: true,
            }),
          );
        },
      },
      poll,
      ctrlC,
      close,
    ]);
    expect(summary(events)).toEqual([
      'shellCreated F15E6BF4-8A64-41F7-BDDE-13F83D9D22DD',
      `commandFault Command ${WSManFaultCode.FileNotFound}`,
      'commandStarted F1363DFB-B5F9-4FDF-AC84-F67D2A886704',
      'stdout "hi\\n"',
      'exit 0',
      'signalAccepted ctrl_c',
      'shellClosed',
    ]);
    // Deleting the shell closes what was left of its commands.
    expect(state.commands.map((command) => command.state)).toEqual(['closed', 'closed']);
  });

  it('test_winrs_bad_cmd_id: a Receive the server refuses fails the command, which still takes ctrl_c', () => {
    const { events, replay: state } = replay('test_winrs_bad_cmd_id.yml', asRecorded, [
      open,
      run('cmd.exe', ['/c', 'echo', 'hi']),
      {
        // pypsrp's test swapped in an unknown CommandId (the recorded override); ours is the real one.
        check: (request) =>
          expect(new TextDecoder().decode(request.envelope)).toContain(
            '<rsp:DesiredStream CommandId="644983A8-4292-4922-97E9-D569C2170784">',
          ),
      },
      {
        act: (r) => {
          expect(last(r).state).toBe('failed');
          last(r).signal('ctrl_c');
        },
      },
      close,
    ]);
    expect(summary(events)).toEqual([
      'shellCreated CCF84E0D-D0B5-4CFB-95B5-BCF3BFE15F36',
      'commandStarted 644983A8-4292-4922-97E9-D569C2170784',
      `commandFault Receive ${WSManFaultCode.UnexpectedSelectors}`,
      'signalAccepted ctrl_c',
      'shellClosed',
    ]);
    expect(state.commands[0]?.state).toBe('closed');
  });

  it('test_winrs_fail_poll_process: a Receive without a command, refused with the cmd plugin fault', () => {
    const { events, results } = replay('test_winrs_fail_poll_process.yml', asRecorded, [
      open,
      {
        build: (r, context, messageId) =>
          buildReceive(context, messageId, {
            resourceUri: ResourceUri.cmd,
            selectors: shellSelectors(r.shell.shellId ?? ''),
            desiredStreams: ['stdout', 'stderr'],
          }),
      },
      close,
    ]);
    expect(results[0]).toBeInstanceOf(WSManFault);
    expect(results[0]).toMatchObject({
      code: WSManFaultCode.InvalidParameter,
      providerFault: { provider: 'Shell cmd plugin', path: '%systemroot%\\system32\\winrscmd.dll' },
    });
    expect(summary(events)).toEqual(['shellCreated 8ABEA8D2-0438-4D75-A594-55DCA786B4E1', 'shellClosed']);
  });

  it('test_winrs_open_already_opened: a second open is refused by the transition table', () => {
    const { events } = replay('test_winrs_open_already_opened.yml', asRecorded, [
      {
        act: (r) => {
          r.shell.open();
          expect(() => r.shell.open()).toThrow(InvalidStateError);
        },
      },
      close,
    ]);
    expect(summary(events)).toEqual(['shellCreated ED7FD87E-E041-4BC2-A22F-B58FF7833094', 'shellClosed']);
  });
});
