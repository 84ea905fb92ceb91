import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidStateError, ProtocolError, UsageError } from '../errors';
import {
  Action,
  CommandStateUri,
  RelatesToMismatchError,
  SignalCode,
  WSManFaultCode,
  parseXml,
  type AnyWSManRequest,
  type WSManContext,
  type XmlElement,
} from '../wsman';
import type { WinRSCommand } from './command';
import type { WinRSEvent } from './events';
import { WinRSShell, type WinRSShellOptions } from './shell';

const SHELL_ID = '4283CBDC-3706-415B-88BD-B385F3E51A53';
const COMMAND_ID = 'CF84C20A-0A35-43FA-AF78-0B4711DA5F30';
const context: WSManContext = { to: 'http://h:5985/wsman', maxEnvelopeSize: 153600, operationTimeoutMs: 20000 };

/** Server-side answers, written the way Windows writes them (its prefixes, not ours). */
function answer(request: AnyWSManRequest, body: string, action = `${Action[request.operation]}Response`): string {
  return (
    '<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
    ' xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"' +
    ' xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header>' +
    `<a:Action>${action}</a:Action><a:MessageID>uuid:${randomUUID().toUpperCase()}</a:MessageID>` +
    `<a:RelatesTo>uuid:${request.messageId.toUpperCase()}</a:RelatesTo></s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

const created = (request: AnyWSManRequest) =>
  answer(
    request,
    '<x:ResourceCreated><a:Address>http://h:5985/wsman</a:Address><a:ReferenceParameters>' +
      '<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>' +
      `<w:SelectorSet><w:Selector Name="ShellId">${SHELL_ID}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>`,
  );
const commandAccepted = (request: AnyWSManRequest, commandId = COMMAND_ID) =>
  answer(request, `<rsp:CommandResponse><rsp:CommandId>${commandId}</rsp:CommandId></rsp:CommandResponse>`);
const accepted = (request: AnyWSManRequest) => answer(request, `<rsp:${request.operation}Response/>`);
const deleted = (request: AnyWSManRequest) => answer(request, '');

interface Chunk {
  readonly stream: string;
  readonly data?: Uint8Array | string;
  readonly end?: boolean;
  readonly commandId?: string;
}

function received(
  request: AnyWSManRequest,
  chunks: readonly Chunk[],
  state?: { done?: number; running?: boolean },
): string {
  const streams = chunks
    .map((chunk) => {
      const data = typeof chunk.data === 'string' ? Buffer.from(chunk.data) : Buffer.from(chunk.data ?? []);
      return `<rsp:Stream Name="${chunk.stream}" CommandId="${chunk.commandId ?? COMMAND_ID}"${chunk.end ? ' End="true"' : ''}>${data.toString('base64')}</rsp:Stream>`;
    })
    .join('');
  let commandState = '';
  if (state?.done !== undefined) {
    commandState = `<rsp:CommandState CommandId="${COMMAND_ID}" State="${CommandStateUri.Done}"><rsp:ExitCode>${state.done}</rsp:ExitCode></rsp:CommandState>`;
  } else if (state?.running) {
    commandState = `<rsp:CommandState CommandId="${COMMAND_ID}" State="${CommandStateUri.Running}"/>`;
  }
  return answer(request, `<rsp:ReceiveResponse>${streams}${commandState}</rsp:ReceiveResponse>`);
}

function fault(request: AnyWSManRequest, code: number): string {
  return answer(
    request,
    '<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code>' +
      '<s:Reason><s:Text xml:lang="en-US">refused</s:Text></s:Reason><s:Detail>' +
      `<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="${code}" Machine="h">` +
      '<f:Message>refused</f:Message></f:WSManFault></s:Detail></s:Fault>',
    'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
  );
}

function next(shell: WinRSShell): AnyWSManRequest {
  const request = shell.dataToSend();
  if (request === undefined) throw new Error('expected a request');
  return request;
}

function drain(shell: WinRSShell): WinRSEvent[] {
  const events: WinRSEvent[] = [];
  for (let event = shell.nextEvent(); event !== undefined; event = shell.nextEvent()) events.push(event);
  return events;
}

function body(request: AnyWSManRequest): XmlElement | undefined {
  return parseXml(request.envelope).children[1]?.children[0];
}

const xml = (request: AnyWSManRequest) => new TextDecoder().decode(request.envelope);

/** A shell created and a command started; the command's first Receive not yet taken. */
function started(options: Partial<WinRSShellOptions> = {}): { shell: WinRSShell; command: WinRSCommand } {
  const shell = new WinRSShell({ context, newMessageId: randomUUID, ...options });
  shell.open();
  const create = next(shell);
  shell.receive(create, created(create));
  const command = shell.run('cmd.exe', ['/c', 'dir']);
  const run = next(shell);
  shell.receive(run, commandAccepted(run));
  drain(shell);
  return { shell, command };
}

describe('WinRSShell lifecycle', () => {
  it('creates the shell with UTF-8 output by default and the options it is given', () => {
    const shell = new WinRSShell({
      context,
      newMessageId: randomUUID,
      environment: [['A', '1']],
      workingDirectory: 'C:\\Temp',
      idleTimeoutMs: 600_000,
      noProfile: false,
    });
    expect(shell.state).toBe('idle');
    expect(shell.dataToSend()).toBeUndefined();
    shell.open();
    const create = next(shell);
    expect(create.operation).toBe('Create');
    expect(xml(create)).toContain(
      '<wsman:OptionSet s:mustUnderstand="true"><wsman:Option MustComply="true" Name="WINRS_NOPROFILE">FALSE</wsman:Option>' +
        '<wsman:Option Name="WINRS_CODEPAGE">65001</wsman:Option></wsman:OptionSet>',
    );
    expect(xml(create)).toContain(
      '<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>' +
        '<rsp:Environment><rsp:Variable Name="A">1</rsp:Variable></rsp:Environment><rsp:IdleTimeOut>PT600S</rsp:IdleTimeOut>' +
        '<rsp:WorkingDirectory>C:\\Temp</rsp:WorkingDirectory></rsp:Shell>',
    );
    expect(shell.dataToSend()).toBeUndefined();
    shell.receive(create, created(create));
    expect(shell.state).toBe('open');
    expect(shell.shellId).toBe(SHELL_ID);
    expect(drain(shell)).toEqual([{ type: 'shellCreated', shellId: SHELL_ID, shell: undefined }]);
    shell.close();
    const remove = next(shell);
    expect(remove.operation).toBe('Delete');
    expect(xml(remove)).toContain(`<wsman:Selector Name="ShellId">${SHELL_ID}</wsman:Selector>`);
    shell.receive(remove, deleted(remove));
    expect(shell.state).toBe('closed');
    expect(drain(shell)).toEqual([{ type: 'shellClosed', fault: undefined }]);
  });

  it('refuses actions its transition table does not allow', () => {
    const shell = new WinRSShell({ context, newMessageId: randomUUID });
    expect(() => shell.run('cmd.exe')).toThrow(InvalidStateError);
    expect(() => shell.close()).toThrow(InvalidStateError);
    shell.open();
    expect(() => shell.open()).toThrow(InvalidStateError);
    expect(() => shell.close()).toThrow(/cannot close in state opening/);
  });

  it('holds commands started during creation until the shell exists', () => {
    const shell = new WinRSShell({ context, newMessageId: randomUUID });
    shell.open();
    const command = shell.run('whoami', [], { skipCmdShell: true, consoleModeStdin: true });
    const create = next(shell);
    expect(shell.dataToSend()).toBeUndefined();
    shell.receive(create, created(create));
    const run = next(shell);
    expect(run.operation).toBe('Command');
    expect(xml(run)).toContain('<wsman:Option Name="WINRS_SKIP_CMD_SHELL">True</wsman:Option>');
    expect(xml(run)).toContain('<wsman:Option Name="WINRS_CONSOLEMODE_STDIN">TRUE</wsman:Option>');
    expect(xml(run)).toContain('<rsp:CommandLine><rsp:Command>whoami</rsp:Command></rsp:CommandLine>');
    expect(command.state).toBe('starting');
  });

  it('reports a refused Create and abandons the commands waiting for it', () => {
    const shell = new WinRSShell({ context, newMessageId: randomUUID });
    shell.open();
    const command = shell.run('cmd.exe');
    const create = next(shell);
    shell.receive(create, fault(create, WSManFaultCode.QuotaMaxShells));
    expect(shell.state).toBe('failed');
    expect(command.state).toBe('closed');
    expect(drain(shell)).toMatchObject([{ type: 'shellFailed', fault: { code: WSManFaultCode.QuotaMaxShells } }]);
    expect(shell.dataToSend()).toBeUndefined();
  });

  it('closes even when Delete is refused, and reports the fault', () => {
    const { shell, command } = started();
    shell.close();
    expect(command.state).toBe('closed');
    const remove = next(shell);
    expect(shell.dataToSend()).toBeUndefined();
    shell.receive(remove, fault(remove, WSManFaultCode.UnexpectedSelectors));
    expect(shell.state).toBe('closed');
    expect(drain(shell)).toMatchObject([{ type: 'shellClosed', fault: { code: WSManFaultCode.UnexpectedSelectors } }]);
  });

  it('takes only answers to its outstanding requests, and passes protocol violations through', () => {
    const shell = new WinRSShell({ context, newMessageId: randomUUID });
    shell.open();
    const create = next(shell);
    const stranger = { ...create, messageId: randomUUID() };
    expect(() => shell.receive(stranger, created(stranger))).toThrow(UsageError);
    expect(() => shell.receive(create, created(stranger))).toThrow(RelatesToMismatchError);
    expect(() => shell.receive(create, created(create))).toThrow(UsageError);
  });

  it('refuses a code page it cannot decode, and sends none when told to leave it to the server', () => {
    expect(() => new WinRSShell({ context, newMessageId: randomUUID, codePage: 437 })).toThrow(/code page 437/);
    const shell = new WinRSShell({ context, newMessageId: randomUUID, codePage: null });
    shell.open();
    expect(xml(next(shell))).not.toContain('OptionSet');
  });
});

describe('WinRSCommand', () => {
  it('polls output, decodes it per stream and reports the exit code', () => {
    const { shell, command } = started();
    expect(command.state).toBe('running');
    expect(command.commandId).toBe(COMMAND_ID);
    const poll = next(shell);
    expect(poll.operation).toBe('Receive');
    expect(xml(poll)).toContain(`<rsp:DesiredStream CommandId="${COMMAND_ID}">stdout stderr</rsp:DesiredStream>`);
    expect(shell.dataToSend()).toBeUndefined();
    shell.receive(
      poll,
      received(
        poll,
        [
          { stream: 'stdout', data: 'a' },
          { stream: 'stdout', data: 'b' },
          { stream: 'stderr', data: 'oops' },
          { stream: 'stdout', data: 'c' },
        ],
        {
          running: true,
        },
      ),
    );
    expect(drain(shell)).toEqual([
      { type: 'stdout', command, text: 'ab' },
      { type: 'stderr', command, text: 'oops' },
      { type: 'stdout', command, text: 'c' },
    ]);
    const again = next(shell);
    shell.receive(
      again,
      received(
        again,
        [
          { stream: 'stdout', end: true },
          { stream: 'stderr', end: true },
        ],
        { done: 3 },
      ),
    );
    expect(drain(shell)).toEqual([{ type: 'exit', command, exitCode: 3 }]);
    expect(command.state).toBe('done');
    expect(shell.dataToSend()).toBeUndefined();
  });

  it('polls again after the operation timeout fault, silently', () => {
    const { shell } = started();
    const poll = next(shell);
    shell.receive(poll, fault(poll, WSManFaultCode.OperationTimeout));
    expect(drain(shell)).toEqual([]);
    expect(next(shell).operation).toBe('Receive');
  });

  it('decodes UTF-8 split anywhere across stream chunks and Receive responses', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.string({ unit: 'grapheme', maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (stdout, stderr, cuts, responseCuts) => {
          const { shell, command } = started();
          const chunks = (text: string, stream: string): Chunk[] => {
            const bytes = Buffer.from(text);
            const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
            return [0, ...points].map((from, i) => ({
              stream,
              data: bytes.subarray(from, [...points, bytes.length][i]),
            }));
          };
          // Interleave the two streams' chunks, then cut the sequence into several responses.
          const outs = chunks(stdout, 'stdout');
          const errs = chunks(stderr, 'stderr');
          const all: Chunk[] = [];
          for (let i = 0; i < Math.max(outs.length, errs.length); i++)
            all.push(...[outs[i], errs[i]].filter((c) => c !== undefined));
          const bounds = [...new Set(responseCuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          const responses = [0, ...bounds].map((from, i) => all.slice(from, [...bounds, all.length][i]));
          responses.forEach((part, i) => {
            const poll = next(shell);
            shell.receive(poll, received(poll, part, i === responses.length - 1 ? { done: 0 } : { running: true }));
          });
          const events = drain(shell);
          const text = (type: 'stdout' | 'stderr') =>
            events.map((e) => (e.type === type && 'text' in e ? e.text : '')).join('');
          expect(text('stdout')).toBe(stdout);
          expect(text('stderr')).toBe(stderr);
          expect(events.at(-1)).toEqual({ type: 'exit', command, exitCode: 0 });
          // Output events are never empty.
          expect(events.every((e) => e.type === 'exit' || ('text' in e && e.text !== ''))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('shows broken UTF-8 as replacement characters, including a sequence cut off by End', () => {
    const { shell } = started();
    const poll = next(shell);
    shell.receive(
      poll,
      received(
        poll,
        [
          { stream: 'stdout', data: new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82]) },
          { stream: 'stdout', end: true },
        ],
        {
          done: 0,
        },
      ),
    );
    expect(drain(shell).map((e) => (e.type === 'stdout' ? e.text : e.type))).toEqual(['a\ufffdb\ufffd', 'exit']);
  });

  it('decodes a legacy code page when asked for one', () => {
    const { shell } = started({ codePage: 1252 });
    const poll = next(shell);
    shell.receive(poll, received(poll, [{ stream: 'stdout', data: new Uint8Array([0x80, 0xe9]) }], { done: 0 }));
    expect(drain(shell)[0]).toMatchObject({ type: 'stdout', text: '€é' });
  });

  it('keeps a Signal and a Send beside the outstanding Receive, one of each at a time', () => {
    const { shell, command } = started();
    const poll = next(shell);
    command.sendInput(Buffer.from('one'));
    command.sendInput(Buffer.from('two'), true);
    command.signal('ctrl_break');
    const signal = next(shell);
    expect(signal.operation).toBe('Signal');
    expect(xml(signal)).toContain(`<rsp:Code>${SignalCode.ctrlBreak}</rsp:Code>`);
    const first = next(shell);
    expect(first.operation).toBe('Send');
    expect(shell.dataToSend()).toBeUndefined();
    shell.receive(first, accepted(first));
    const second = next(shell);
    expect(xml(first)).toContain(`<rsp:Stream Name="stdin" CommandId="${COMMAND_ID}" End="False">b25l</rsp:Stream>`);
    expect(xml(second)).toContain(`<rsp:Stream Name="stdin" CommandId="${COMMAND_ID}" End="True">dHdv</rsp:Stream>`);
    shell.receive(signal, accepted(signal));
    shell.receive(second, accepted(second));
    shell.receive(poll, received(poll, [], { done: 0 }));
    expect(drain(shell).map((e) => e.type)).toEqual(['signalAccepted', 'exit']);
    expect(() => command.sendInput(Buffer.from('late'))).toThrow(InvalidStateError);
  });

  it('queues input given before the command id is known, and refuses input after End', () => {
    const shell = new WinRSShell({ context, newMessageId: randomUUID });
    shell.open();
    const create = next(shell);
    shell.receive(create, created(create));
    const command = shell.run('more');
    command.sendInput(new Uint8Array(0));
    command.sendInput(Buffer.from('x'), true);
    expect(() => command.sendInput(Buffer.from('y'))).toThrow(/already closed/);
    expect(() => command.signal('ctrl_c')).toThrow(InvalidStateError);
    const run = next(shell);
    expect(shell.dataToSend()).toBeUndefined();
    shell.receive(run, commandAccepted(run));
    const send = next(shell);
    expect(send.operation).toBe('Send');
    expect(xml(send)).toContain('End="True">eA==</rsp:Stream>');
  });

  it('splits large input into Sends that fit the envelope, in order, End on the last', () => {
    const small = { ...context, maxEnvelopeSize: 4096 };
    const { shell, command } = started({ context: small });
    const input = new Uint8Array(10_000).map((_, i) => i % 251);
    command.sendInput(input, true);
    const sent: Buffer[] = [];
    const ends: string[] = [];
    for (let request = next(shell); request.operation === 'Send'; request = next(shell)) {
      expect(request.envelope.length).toBeLessThanOrEqual(small.maxEnvelopeSize);
      const stream = body(request)?.children[0];
      sent.push(Buffer.from(stream?.text ?? '', 'base64'));
      ends.push(stream?.attributes.find((a) => a.localName === 'End')?.value ?? '');
      shell.receive(request, accepted(request));
    }
    expect(Buffer.concat(sent)).toEqual(Buffer.from(input));
    expect(ends.length).toBeGreaterThan(3);
    expect(ends.slice(0, -1).every((end) => end === 'False')).toBe(true);
    expect(ends.at(-1)).toBe('True');
  });

  it('stops polling while output is paused', () => {
    const { shell, command } = started();
    command.pauseOutput();
    expect(shell.dataToSend()).toBeUndefined();
    command.resumeOutput();
    expect(next(shell).operation).toBe('Receive');
  });

  it('terminates: the terminate signal, late output dropped, then closed', () => {
    const { shell, command } = started();
    const poll = next(shell);
    command.terminate();
    expect(command.state).toBe('terminating');
    expect(() => command.signal('ctrl_c')).toThrow(InvalidStateError);
    expect(() => command.terminate()).toThrow(InvalidStateError);
    const signal = next(shell);
    expect(xml(signal)).toContain(`<rsp:Code>${SignalCode.terminate}</rsp:Code>`);
    shell.receive(poll, received(poll, [{ stream: 'stdout', data: 'late' }], { running: true }));
    expect(shell.dataToSend()).toBeUndefined();
    shell.receive(signal, accepted(signal));
    expect(command.state).toBe('closed');
    expect(drain(shell)).toEqual([{ type: 'commandClosed', command }]);
  });

  it('reports faults: Send fails the command, a refused ctrl_c leaves it running', () => {
    const { shell, command } = started();
    command.signal('ctrl_c');
    const signal = next(shell);
    shell.receive(signal, fault(signal, WSManFaultCode.OperationAborted));
    expect(command.state).toBe('running');
    command.sendInput(Buffer.from('x'));
    const send = next(shell);
    shell.receive(send, fault(send, WSManFaultCode.ShellDisconnected));
    expect(command.state).toBe('failed');
    expect(drain(shell)).toMatchObject([
      { type: 'commandFault', operation: 'Signal', fault: { code: WSManFaultCode.OperationAborted } },
      { type: 'commandFault', operation: 'Send', fault: { code: WSManFaultCode.ShellDisconnected } },
    ]);
  });

  it('treats output of another command, unasked streams, data after End and Done without ExitCode as violations', () => {
    const cases: ((poll: AnyWSManRequest) => string)[] = [
      (poll) => received(poll, [{ stream: 'stdout', data: 'x', commandId: 'A1B2C3D4-0000-0000-0000-000000000000' }]),
      (poll) => received(poll, [{ stream: 'pr', data: 'x' }]),
      (poll) =>
        received(poll, [
          { stream: 'stdout', end: true },
          { stream: 'stdout', data: 'x' },
        ]),
      (poll) =>
        answer(
          poll,
          `<rsp:ReceiveResponse><rsp:CommandState CommandId="${COMMAND_ID}" State="${CommandStateUri.Done}"/></rsp:ReceiveResponse>`,
        ),
    ];
    for (const response of cases) {
      const { shell } = started();
      const poll = next(shell);
      expect(() => shell.receive(poll, response(poll))).toThrow(ProtocolError);
      expect(drain(shell)).toEqual([]);
    }
  });
});
