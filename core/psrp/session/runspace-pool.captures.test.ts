/**
 * The runspace pool replayed against every recorded Windows PSRP scenario (captures/windows,
 * pypsrp, MIT): the pool performs the client's actions, each WS-Man request must carry the same
 * PSRP messages the recorded client sent (type and CLIXML structure, modulo RefIds and enum texts),
 * and the recorded server payloads are fed back. pypsrp's fixed RSA key makes the key exchange and
 * every SecureString byte-identical.
 */
import { describe, expect, it } from 'vitest';
import { deserializeClixml, isPrimitive, primitive, PSObject, type PSValue } from '../clixml';
import { MessageType } from '../message';
import type { PoolOutgoing, RunspacePoolEvent } from './events';
import type { HostCall } from './host';
import { hostWithUI } from './messages/host-info';
import type { CommandSpec, PipelineSpec } from './messages/pipeline';
import { Credential, SecureText, type OutgoingValue } from './messages/values';
import type { Pipeline } from './pipeline';
import { RunspacePool, type RunspacePoolOptions } from './runspace-pool';
import { pypsrpTestKey } from './test-support/pypsrp-key';
import { messageShape, OutgoingDecoder, propertyAt, replayExchanges, type ReplayExchange } from './test-support/replay';

const EXCHANGE_KEY = pypsrpTestKey();

/** The WS-Man operation that carries each outgoing item; closePipeline has none in these recordings. */
function operationOf(item: PoolOutgoing): string | undefined {
  switch (item.kind) {
    case 'data':
      return { create: 'Create', connect: 'Connect', command: 'Command', send: 'Send' }[item.carrier];
    case 'stopPipeline':
      return 'Signal';
    case 'closePool':
      return 'Delete';
    case 'disconnectPool':
      return 'Disconnect';
    case 'reconnectPool':
      return 'Reconnect';
    case 'connectPipeline':
      return 'Connect';
    case 'closePipeline':
      return undefined;
  }
}

const SENDING_OPERATIONS = new Set([
  'Create',
  'Connect',
  'Command',
  'Send',
  'Signal',
  'Delete',
  'Disconnect',
  'Reconnect',
]);

class Replay {
  readonly exchanges: ReplayExchange[];
  readonly pools = new Map<string, RunspacePool>();
  readonly decoders = new Map<RunspacePool, OutgoingDecoder>();
  readonly events: RunspacePoolEvent[] = [];
  readonly outputs: PSValue[] = [];
  readonly hostCalls: HostCall[] = [];
  /** WS-Man CommandId → pipeline id (pypsrp's recorded PIDs are byte-swapped CommandIds). */
  readonly commands = new Map<string, string>();

  constructor(readonly file: string) {
    this.exchanges = replayExchanges(file);
  }

  /** The RPID the recorded client used for the shell created or connected in exchange `index`. */
  recordedPoolId(index: number): string {
    const message = this.exchanges[index]?.toServer[0];
    if (message === undefined) throw new Error(`exchange ${index} sends no PSRP message`);
    return message.runspacePoolId;
  }

  /** The PID of the recorded CREATE_PIPELINE in exchange `index`, and its body. */
  recordedPipeline(index: number): { id: string; body: PSValue } {
    const message = this.exchanges[index]?.toServer.find((m) => m.messageType === MessageType.CreatePipeline);
    if (message === undefined) throw new Error(`exchange ${index} creates no pipeline`);
    return { id: message.pipelineId, body: deserializeClixml(message.data) };
  }

  /** Command `command` of statement `statement` of the recorded pipeline. */
  recordedCommandObject(index: number, statement: number, command: number): PSValue | undefined {
    const { body } = this.recordedPipeline(index);
    const extra = propertyAt(body, 'PowerShell', 'ExtraCmds');
    const statements = extra instanceof PSObject ? listItems(extra) : [propertyAt(body, 'PowerShell')];
    return listItems(propertyAt(statements[statement], 'Cmds'))[command];
  }

  /** The script text of a command of the recorded pipeline. */
  recordedCommand(index: number, statement = 0, command = 0): string {
    const text = propertyAt(this.recordedCommandObject(index, statement, command), 'Cmd');
    if (!isPrimitive(text) || text.kind !== 'String') throw new Error('no command text');
    return text.value;
  }

  /** An argument ({N, V}) of a command of the recorded pipeline. */
  recordedArgument(index: number, statement: number, command: number, argument: number): PSValue | undefined {
    return listItems(propertyAt(this.recordedCommandObject(index, statement, command), 'Args'))[argument];
  }

  newPool(index: number, options: Partial<RunspacePoolOptions> = {}): RunspacePool {
    const pool = new RunspacePool({
      runspacePoolId: this.recordedPoolId(index),
      exchangeKey: EXCHANGE_KEY,
      ...options,
    });
    const shellId = this.exchanges[index]?.shellId;
    if (shellId === undefined) throw new Error(`exchange ${index} names no shell`);
    this.pools.set(shellId, pool);
    this.decoders.set(pool, new OutgoingDecoder());
    return pool;
  }

  pool(shellId = this.exchanges[0]?.shellId ?? ''): RunspacePool {
    const pool = this.pools.get(shellId);
    if (pool === undefined) throw new Error(`no pool for shell ${shellId}`);
    return pool;
  }

  createPipeline(index: number, spec: PipelineSpec, shellId?: string): Pipeline {
    const pipeline = this.pool(shellId).createPipeline(spec, this.recordedPipeline(index).id);
    pipeline.invoke();
    return pipeline;
  }

  /**
   * Runs the recording: before each exchange `before[i]` acts, the pool's outgoing items must match
   * the request, then the response payloads go back into the pool and `onEvent` sees every event.
   */
  run(
    before: Record<number, (replay: Replay) => void>,
    onEvent: (event: RunspacePoolEvent, pool: RunspacePool) => void = () => undefined,
  ): void {
    for (const exchange of this.exchanges) {
      before[exchange.index]?.(this);
      const pool = exchange.shellId === undefined ? undefined : this.pools.get(exchange.shellId);
      if (pool === undefined) {
        expect(exchange.toServer, `exchange ${exchange.index} of ${this.file}`).toEqual([]);
        continue;
      }
      const outgoing = pool.dataToSend();
      const where = `exchange ${exchange.index} (${exchange.operation}) of ${this.file}`;
      const sent = this.decoders.get(pool)?.decode(outgoing) ?? [];
      expect(sent.map(messageShape), where).toEqual(exchange.toServer.map(messageShape));
      const operations = outgoing.map(operationOf).filter((op) => op !== undefined);
      expect(operations, where).toEqual(SENDING_OPERATIONS.has(exchange.operation) ? [exchange.operation] : []);
      for (const item of outgoing) {
        if (item.kind === 'data' && item.carrier === 'command' && exchange.commandId !== undefined) {
          this.commands.set(exchange.commandId, item.pipelineId ?? '');
        }
      }
      const pipelineId = exchange.commandId === undefined ? undefined : this.commands.get(exchange.commandId);
      for (const payload of exchange.toClient) pool.receive(payload, pipelineId);
      if (exchange.operation === 'Delete') pool.transportClosed();
      if (exchange.operation === 'Disconnect') pool.transportDisconnected();
      if (exchange.operation === 'Reconnect') pool.transportReconnected();
      for (let event = pool.nextEvent(); event !== undefined; event = pool.nextEvent()) {
        this.events.push(event);
        if (event.type === 'output') this.outputs.push(event.value);
        if (event.type === 'hostCall') this.hostCalls.push(event.call);
        onEvent(event, pool);
      }
    }
  }

  poolStates(): string[] {
    return this.events.flatMap((e) => (e.type === 'stateChanged' ? [e.state] : []));
  }

  pipelineStates(): string[] {
    return this.events.flatMap((e) => (e.type === 'pipelineStateChanged' ? [e.state] : []));
  }
}

function listItems(value: PSValue | undefined): PSValue[] {
  return value instanceof PSObject && value.value !== undefined && 'items' in value.value ? value.value.items : [];
}

const script = (text: string, extra: Partial<CommandSpec> = {}): CommandSpec => ({
  command: text,
  isScript: true,
  ...extra,
});
const cmdlet = (name: string, args: CommandSpec['arguments'] = []): CommandSpec => ({ command: name, arguments: args });
const text = (value: PSValue | undefined): string | undefined =>
  isPrimitive(value) && value.kind === 'String'
    ? value.value
    : value instanceof PSObject
      ? value.toStringText
      : undefined;

describe('RunspacePool replays the recorded Windows scenarios', () => {
  it('opens and closes a runspace pool (test_psrp_open_runspace.yml)', () => {
    const replay = new Replay('test_psrp_open_runspace.yml');
    replay.run({
      0: (r) => r.newPool(0).open(),
      3: (r) => r.pool().close(),
    });
    const pool = replay.pool();
    expect(replay.poolStates()).toEqual(['Opening', 'Opened', 'Closing', 'Closed']);
    expect(pool.serverCapability?.protocolVersion.toString()).toBe('2.3');
    expect(pool.maxEnvelopeSize).toBe(512_000);
    const versionTable = (pool.applicationPrivateData as PSObject).value;
    expect(versionTable?.kind).toBe('Dictionary');
  });

  it('exchanges keys and answers every UI host call (test_psrp_pshost_ui_mocked_methods.yml)', () => {
    const replay = new Replay('test_psrp_pshost_ui_mocked_methods.yml');
    replay.run(
      {
        0: (r) => r.newPool(0, { host: hostWithUI() }).open(),
        3: (r) => r.pool().exchangeKeys(),
        5: (r) => r.createPipeline(5, { statements: [[script(r.recordedCommand(5))]] }),
        17: (r) => r.pool().close(),
      },
      (event, pool) => {
        if (event.type !== 'hostCall' || !event.call.expectsAnswer) return;
        const call = event.call;
        switch (call.method) {
          case 'ReadLine':
            return pool.answerHostCall(call, { result: 'ReadLine response' });
          case 'ReadLineAsSecureString':
            return pool.answerHostCall(call, { result: new SecureText('ReadLineAsSecureString response') });
          case 'Prompt':
            expect(call.parameters.descriptions.map((d) => [d.name, d.label, d.parameterTypeFullName])).toEqual([
              ['prompt field', 'PromptLabel', 'System.String'],
            ]);
            return pool.answerHostCall(call, { result: new Map([['prompt field', 'prompt response']]) });
          case 'PromptForCredential2':
            expect(call.parameters).toEqual({
              caption: 'PromptForCredential caption',
              message: 'PromptForCredential message',
              userName: 'PromptForCredential user',
              targetName: 'PromptForCredential target',
              allowedCredentialTypes: 3,
              options: 1,
            });
            return pool.answerHostCall(call, { result: new Credential('username', new SecureText('password')) });
          case 'PromptForChoice':
            expect(call.parameters.choices).toEqual([
              { label: 'Prompt1 label', helpMessage: 'Prompt1 help' },
              { label: 'Prompt2 label', helpMessage: 'Prompt2 help' },
            ]);
            return pool.answerHostCall(call, { result: 1 });
          default:
            throw new Error(`unexpected ${call.method}`);
        }
      },
    );
    const pool = replay.pool();
    expect(replay.events.filter((e) => e.type === 'keyExchanged')).toHaveLength(1);
    const [line, secure, prompt, credential, choice] = replay.outputs;
    expect(line).toEqual(primitive('String', 'ReadLine response'));
    expect(pool.revealSecureString(secure as never)).toBe('ReadLineAsSecureString response');
    expect(text(propertyAt(prompt, 'prompt field'))).toBeUndefined();
    expect((prompt as PSObject).value).toEqual({
      kind: 'Dictionary',
      entries: [{ key: primitive('String', 'prompt field'), value: primitive('String', 'prompt response') }],
    });
    expect(pool.revealSecureString(propertyAt(credential, 'Password') as never)).toBe('password');
    expect(choice).toEqual(primitive('Int32', 1));
    const voidCalls = replay.hostCalls.filter((c) => !c.expectsAnswer).map((c) => c.method);
    expect(voidCalls).toEqual([
      'Write1',
      'Write2',
      'WriteLine1',
      'WriteLine2',
      'WriteLine3',
      'WriteErrorLine',
      'WriteDebugLine',
      'WriteProgress',
      'WriteProgress',
      'WriteVerboseLine',
      'WriteWarningLine',
    ]);
    const write2 = replay.hostCalls.find((c) => c.method === 'Write2');
    expect(write2?.parameters).toEqual({ foregroundColor: 'Blue', backgroundColor: 'White', value: 'Write2' });
    const progress = replay.hostCalls.filter((c) => c.method === 'WriteProgress').at(-1);
    expect(progress?.parameters).toMatchObject({ sourceId: 1n, record: { activity: 'activity', activityId: 2 } });
    expect(replay.pipelineStates()).toEqual(['Running', 'Completed']);
    expect(() =>
      pool.answerHostCall(replay.hostCalls[0] as HostCall & { method: 'ReadLine' }, { result: 'again' }),
    ).toThrow(/not awaiting an answer/);
  });

  it('answers RawUI host calls with host default data (test_psrp_pshost_raw_ui_mocked_methods.yml)', () => {
    const replay = new Replay('test_psrp_pshost_raw_ui_mocked_methods.yml');
    const host = hostWithUI({
      foregroundColor: 'White',
      backgroundColor: 'Blue',
      cursorPosition: { x: 1, y: 2 },
      windowPosition: { x: 3, y: 4 },
      cursorSize: 50,
      bufferSize: { width: 80, height: 80 },
      windowSize: { width: 80, height: 80 },
      maxWindowSize: { width: 80, height: 80 },
      maxPhysicalWindowSize: { width: 80, height: 80 },
      windowTitle: 'pypsrp window',
    });
    replay.run(
      {
        0: (r) => r.newPool(0, { host }).open(),
        3: (r) => r.createPipeline(3, { statements: [[script(r.recordedCommand(3))]] }),
        7: (r) => r.pool().close(),
      },
      (event, pool) => {
        if (event.type === 'hostCall' && event.call.method === 'ReadKey') {
          expect(event.call.parameters.options).toBe(4);
          pool.answerHostCall(event.call, {
            result: { virtualKeyCode: 65, character: 'a', controlKeyState: 128, keyDown: true },
          });
        }
      },
    );
    const calls = Object.fromEntries(replay.hostCalls.map((c) => [c.method, c.parameters]));
    expect(calls.SetForegroundColor).toEqual({ color: 'Green' });
    expect(calls.SetCursorPosition).toEqual({ position: { x: 11, y: 12 } });
    expect(calls.SetBufferSize).toEqual({ size: { width: 8, height: 9 } });
    expect(calls.SetWindowTitle).toEqual({ title: 'New Window Title' });
    expect(calls.SetBufferContents1).toEqual({
      rectangle: { left: 1, top: 2, right: 3, bottom: 4 },
      fill: { character: 'Z', foregroundColor: 'Red', backgroundColor: 'Green', bufferCellType: 0 },
    });
    const cell = (character: string, bufferCellType: number) => ({
      character,
      foregroundColor: 'Black',
      backgroundColor: 'White',
      bufferCellType,
    });
    expect(calls.SetBufferContents2).toEqual({
      origin: { x: 15, y: 15 },
      contents: [
        [cell('A', 1), cell('B', 2)],
        [cell('C', 1), cell('D', 2)],
      ],
    });
    expect(calls.ScrollBufferContents).toMatchObject({ destination: { x: 15, y: 15 } });
    expect(text(replay.outputs.at(-1))).toBe('65,a,CapsLockOn,True');
  });

  it('sends several statements with SecureString, switch and positional arguments (test_psrp_multiple_commands.yml)', () => {
    const replay = new Replay('test_psrp_multiple_commands.yml');
    replay.run({
      0: (r) => r.newPool(0).open(),
      3: (r) => r.pool().exchangeKeys(),
      5: (r) => {
        const unicodeValue = text(propertyAt(r.recordedArgument(5, 3, 0, 1), 'V')) ?? '';
        const setVariable = (name: string, value: OutgoingValue): CommandSpec =>
          cmdlet('Set-Variable', [
            { name: 'Name', value: name },
            { name: 'Value', value },
          ]);
        r.createPipeline(5, {
          statements: [
            [setVariable('sec_string', new SecureText('Hello World'))],
            [script(r.recordedCommand(5, 1))],
            [
              cmdlet('ConvertTo-SecureString', [
                { name: 'String', value: 'abc' },
                { name: 'AsPlainText' },
                { name: 'Force' },
              ]),
            ],
            [setVariable('unicode_string', unicodeValue)],
            [script('$unicode_string')],
            [cmdlet('cmd.exe', [{ value: '/c echo hi' }])],
            [cmdlet('whoami.exe')],
            [setVariable('integer', 123)],
            [script('$integer')],
            [cmdlet('Get-Service', [{ name: 'Name', value: 'winrm' }])],
          ],
        });
      },
      7: (r) => r.pool().close(),
    });
    const pool = replay.pool();
    expect(text(replay.outputs[0])).toBe('Hello World');
    expect(pool.revealSecureString(replay.outputs[1] as never)).toBe('abc');
    expect(text(replay.outputs[2])).toBe('こんにちは - actual_x000A_string\nnewline: 𐐷');
    expect(replay.outputs[5]).toEqual(primitive('Int32', 123));
    expect((replay.outputs[6] as PSObject).isInstanceOf('System.ServiceProcess.ServiceController')).toBe(true);
  });

  it('streams pipeline input objects (test_psrp_with_input.yml)', () => {
    const replay = new Replay('test_psrp_with_input.yml');
    replay.run({
      0: (r) => r.newPool(0).open(),
      3: (r) => r.createPipeline(3, { statements: [[script(r.recordedCommand(3))]], noInput: false }),
      4: (r) => {
        const pipeline = r.pool().pipeline(r.recordedPipeline(3).id);
        pipeline?.sendInput('1', 2, new Map([['a', 'b']]), ['a', 'b']);
        pipeline?.endInput();
      },
      6: (r) => r.pool().close(),
    });
    expect(replay.outputs.slice(0, 2)).toEqual([primitive('String', '1'), primitive('Int32', 2)]);
    expect((replay.outputs[2] as PSObject).isInstanceOf('System.Collections.Hashtable')).toBe(true);
    const debug = replay.events.flatMap((e) =>
      e.type === 'informationalRecord' ? [`${e.stream}:${e.record.message}`] : [],
    );
    expect(debug).toEqual(['debug:Start Block', 'debug:End Block']);
    expect(replay.events.some((e) => e.type === 'progress' && e.record.recordType === 'Completed')).toBe(true);
  });

  it('merges every stream into the output (test_psrp_merge_commands.yml)', () => {
    const replay = new Replay('test_psrp_merge_commands.yml');
    const mergeAll: Partial<CommandSpec> = {
      mergeToOutput: ['error', 'warning', 'verbose', 'debug', 'information'],
      mergePreviousResults: true,
    };
    replay.run({
      0: (r) => r.newPool(0).open(),
      3: (r) => {
        const body = r.recordedCommand(3);
        r.createPipeline(3, { statements: [[script(body, mergeAll)], [script(body)]] });
      },
      5: (r) => r.pool().close(),
    });
    const merged = replay.outputs
      .slice(0, 6)
      .map((value) => (value instanceof PSObject ? value.typeNames[0] : text(value)));
    expect(merged).toEqual([
      'System.Management.Automation.DebugRecord',
      'System.Management.Automation.VerboseRecord',
      'System.Management.Automation.ErrorRecord',
      'output stream',
      'System.Management.Automation.WarningRecord',
      'System.Management.Automation.InformationRecord',
    ]);
    const streams = replay.events.flatMap((e) =>
      e.type === 'informationalRecord'
        ? [e.stream]
        : e.type === 'errorRecord'
          ? ['error']
          : e.type === 'information'
            ? ['information']
            : [],
    );
    expect(streams).toEqual(['debug', 'verbose', 'error', 'warning', 'information']);
    const information = replay.events.find((e) => e.type === 'information');
    expect(information?.type === 'information' && [information.record.text, information.record.source]).toEqual([
      'information stream',
      'Write-Information',
    ]);
  });

  it('reports a failed pipeline with its error (test_psrp_error_failed.yml)', () => {
    const replay = new Replay('test_psrp_error_failed.yml');
    replay.run({
      0: (r) => r.newPool(0).open(),
      3: (r) => r.createPipeline(3, { statements: [[script(r.recordedCommand(3))]] }),
      5: (r) => r.pool().close(),
    });
    expect(replay.outputs).toEqual([primitive('String', 'before')]);
    const failed = replay.events.find((e) => e.type === 'pipelineStateChanged' && e.state === 'Failed');
    expect(failed?.type === 'pipelineStateChanged' && failed.error).toMatchObject({
      message: 'error',
      fullyQualifiedErrorId: 'Microsoft.PowerShell.Commands.WriteErrorException',
      category: { code: 0, activity: 'Write-Error', reason: 'WriteErrorException' },
      exceptionTypeNames: [
        'Microsoft.PowerShell.Commands.WriteErrorException',
        'System.SystemException',
        'System.Exception',
        'System.Object',
      ],
    });
  });

  for (const version of ['2.2', '2.3']) {
    it(`writes merge fields for a protocol ${version} server (test_psrp_run_protocol_version_${version}.yml)`, () => {
      const replay = new Replay(`test_psrp_run_protocol_version_${version}.yml`);
      replay.run({
        0: (r) => r.newPool(0).open(),
        3: (r) =>
          r.createPipeline(3, {
            statements: [[script(r.recordedCommand(3), { mergeToOutput: ['error'] })]],
            noInput: false,
          }),
        4: (r) => {
          const pipeline = r.pool().pipeline(r.recordedPipeline(3).id);
          pipeline?.sendInput('message 1', 2, ['3', 3]);
          pipeline?.endInput();
        },
        6: (r) => r.pool().close(),
      });
      expect(replay.pool().serverCapability?.protocolVersion.toString()).toBe(version);
      expect((replay.outputs[0] as PSObject).isInstanceOf('System.Management.Automation.ErrorRecord')).toBe(true);
      expect(replay.outputs.slice(1, 3)).toEqual([primitive('String', 'message 1'), primitive('Int32', 2)]);
    });
  }

  it('sets and reads the runspace limits (test_psrp_set_runspaces.yml)', () => {
    const replay = new Replay('test_psrp_set_runspaces.yml');
    replay.run({
      0: (r) => r.newPool(0).open(),
      3: (r) => r.pool().getAvailableRunspaces(),
      5: (r) => r.pool().setMaxRunspaces(5),
      7: (r) => r.pool().getAvailableRunspaces(),
      9: (r) => r.pool().setMinRunspaces(2),
      11: (r) => r.pool().setMinRunspaces(-1),
      13: (r) => r.pool().setMaxRunspaces(-1),
      15: (r) => r.pool().close(),
    });
    const answers = replay.events.flatMap((e) =>
      e.type === 'runspaceAvailability' ? [[e.callId, e.request, e.response]] : [],
    );
    expect(answers).toEqual([
      [0n, 'getAvailableRunspaces', 1n],
      [1n, 'setMaxRunspaces', true],
      [2n, 'getAvailableRunspaces', 5n],
      [3n, 'setMinRunspaces', true],
      [4n, 'setMinRunspaces', false],
      [5n, 'setMaxRunspaces', false],
    ]);
  });

  it('resets the runspace state between pipelines (test_psrp_reset_runspace_state.yml)', () => {
    const replay = new Replay('test_psrp_reset_runspace_state.yml');
    replay.run({
      0: (r) => r.newPool(0).open(),
      3: (r) => r.createPipeline(3, { statements: [[script('echo hi')]], addToHistory: true }),
      5: (r) => r.pool().resetRunspaceState(),
      7: (r) => r.createPipeline(7, { statements: [[cmdlet('Get-History')]] }),
      9: (r) => r.pool().close(),
    });
    expect(replay.outputs).toEqual([primitive('String', 'hi')]);
    expect(replay.events.find((e) => e.type === 'runspaceAvailability')).toMatchObject({
      request: 'resetRunspaceState',
      response: true,
    });
  });

  it('reports a refused reset (test_psrp_reset_runspace_state_fail.yml)', () => {
    const replay = new Replay('test_psrp_reset_runspace_state_fail.yml');
    replay.run({ 0: (r) => r.newPool(0).open(), 3: (r) => r.pool().resetRunspaceState(), 5: (r) => r.pool().close() });
    expect(replay.events.find((e) => e.type === 'runspaceAvailability')).toMatchObject({ response: false });
  });

  it('disconnects, reconnects and connects new clients to two pools (test_psrp_disconnect_runspaces.yml)', () => {
    const replay = new Replay('test_psrp_disconnect_runspaces.yml');
    const first = (r: Replay) => r.exchanges[0]?.shellId;
    const second = (r: Replay) => r.exchanges[7]?.shellId;
    replay.run({
      0: (r) => r.newPool(0).open(),
      4: (r) => r.pool(first(r)).disconnect(),
      5: (r) => r.pool(first(r)).reconnect(),
      6: (r) => r.pool(first(r)).disconnect(),
      7: (r) => r.newPool(7).open(),
      10: (r) => r.pool(second(r)).disconnect(),
      14: (r) => r.newPool(14).connect(),
      16: (r) => r.newPool(16).connect(),
      18: (r) => r.pool(first(r)).close(),
      19: (r) => r.pool(second(r)).close(),
    });
    expect(replay.poolStates()).toEqual([
      ...[
        'Opening',
        'Opened',
        'Disconnecting',
        'Disconnected',
        'Connecting',
        'Opened',
        'Disconnecting',
        'Disconnected',
      ],
      ...['Opening', 'Opened', 'Disconnecting', 'Disconnected'],
      ...['Connecting', 'Opened', 'Connecting', 'Opened', 'Closing', 'Closed', 'Closing', 'Closed'],
    ]);
    expect([replay.pool(first(replay)).minRunspaces, replay.pool(first(replay)).maxRunspaces]).toEqual([1, 1]);
  });

  it('runs commands on a JEA endpoint and reports a refused one (test_psrp_with_jea_configuration.yml)', () => {
    const replay = new Replay('test_psrp_with_jea_configuration.yml');
    const getItem = cmdlet('Get-Item', [{ name: 'Path', value: 'WSMan:\\localhost\\Service\\AllowUnencrypted' }]);
    replay.run({
      0: (r) => r.newPool(0).open(),
      4: (r) => r.createPipeline(4, { statements: [[getItem]] }),
      6: (r) =>
        r.createPipeline(6, {
          statements: [
            [cmdlet('Get-Item', [{ name: 'Path', value: 'C:\\Windows' }])],
            [script(r.recordedCommand(6, 1))],
          ],
        }),
      8: (r) => r.pool().close(),
    });
    expect(replay.pipelineStates()).toEqual(['Running', 'Completed', 'Running', 'Failed']);
    const error = replay.events.find((e) => e.type === 'errorRecord');
    expect(error?.type === 'errorRecord' && error.record).toMatchObject({
      message: "Cannot find a provider with the name 'FileSystem'.",
      fullyQualifiedErrorId: 'ProviderNotFound,Microsoft.PowerShell.Commands.GetItemCommand',
      category: { code: 13, targetName: 'FileSystem' },
    });
  });

  it('replays the remaining single-pipeline recordings', () => {
    const single = (file: string, index: number, spec: (r: Replay) => PipelineSpec, close: number): Replay => {
      const replay = new Replay(file);
      replay.run({
        0: (r) => r.newPool(0).open(),
        [index]: (r) => r.createPipeline(index, spec(r)),
        [close]: (r) => r.pool().close(),
      });
      return replay;
    };
    expect(
      single('test_psrp_clear_commands.yml', 3, () => ({ statements: [[script('echo new')]] }), 5).outputs,
    ).toEqual([primitive('String', 'new')]);
    expect(
      single(
        'test_psrp_no_profile.yml',
        3,
        () => ({ statements: [[script('$env:USERPROFILE.ToUpperInvariant()')]] }),
        5,
      ).outputs,
    ).toEqual([primitive('String', 'C:\\WINDOWS\\SYSTEM32\\CONFIG\\SYSTEMPROFILE')]);
    const noOutput = single(
      'test_psrp_stream_no_output_invocation.yml',
      3,
      (r) => ({ statements: [[script(r.recordedCommand(3))]], remoteStreamOptions: 'None' }),
      5,
    );
    expect(noOutput.outputs).toEqual([primitive('String', 'output stream')]);
    const long = single(
      'test_psrp_long_running_cmdlet.yml',
      3,
      () => ({
        statements: [[cmdlet('Start-Sleep', [{ name: 'Seconds', value: 10 }])], [script('echo hi')]],
      }),
      7,
    );
    expect(long.outputs).toEqual([primitive('String', 'hi')]);
    const executed = single(
      'test_client_execute_ps.yml',
      3,
      (r) => ({
        statements: [
          [
            cmdlet('Invoke-Expression', [
              { name: 'Command', value: text(propertyAt(r.recordedArgument(3, 0, 0, 0), 'V')) },
            ]),
            cmdlet('Out-String', [{ name: 'Stream' }]),
          ],
        ],
      }),
      5,
    );
    expect(text(executed.outputs[0])).toBe('winrm');
  });

  it('keeps the pool usable without replies to PUBLIC_KEY or a failed receive', () => {
    const timeout = new Replay('test_psrp_key_exchange_timeout.yml');
    timeout.run({ 0: (r) => r.newPool(0).open(), 3: (r) => r.pool().exchangeKeys(), 5: (r) => r.pool().close() });
    expect(timeout.pool().secureStringsReady).toBe(false);
    const failure = new Replay('test_psrp_receive_failure.yml');
    failure.run({ 0: (r) => r.newPool(0).open(), 4: (r) => r.pool().close() });
    expect(failure.poolStates()).toEqual(['Opening', 'Opened', 'Closing', 'Closed']);
  });

  it('answers Write-Host, history and the remaining no-history recording (test_psrp_with_no_history.yml)', () => {
    const replay = new Replay('test_psrp_with_no_history.yml');
    replay.run({
      0: (r) => r.newPool(0).open(),
      3: (r) => r.createPipeline(3, { statements: [[script('Write-Output 1; Write-Output 2')]] }),
      5: (r) => r.createPipeline(5, { statements: [[script('Get-History')]] }),
      7: (r) => r.pool().close(),
    });
    expect(replay.outputs).toEqual([primitive('Int32', 1), primitive('Int32', 2)]);
  });
});
