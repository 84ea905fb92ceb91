import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidStateError, ProtocolError, UsageError } from '../../errors';
import { primitive, PSObject } from '../clixml';
import { Defragmenter } from '../defragmenter';
import { INITIAL_MAX_ENVELOPE_SIZE, maxPayloadBytes } from '../envelope-budget';
import { NIL_GUID } from '../guid';
import { decodeMessage, MessageType, messageTypeName } from '../message';
import type { PipelineState, PoolOutgoing, RunspacePoolState } from './events';
import { hostWithUI } from './messages/host-info';
import { CLIENT_CAPABILITY, PROTOCOL_2_4 } from './messages/pool';
import { scriptPipeline } from './messages/pipeline';
import { Credential, SecureText } from './messages/values';
import { PIPELINE_TRANSITIONS, type Pipeline } from './pipeline';
import { DEFAULT_ENVELOPE_OVERHEAD, RUNSPACE_POOL_TRANSITIONS, RunspacePool } from './runspace-pool';
import { sessionKeyCodec } from './session-key';
import { drainEvents, FakeServer, openedPool, PIPELINE_ID, POOL_ID } from './test-support/fake-server';

const KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const SESSION_KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const OTHER_ID = '0badc0de-0000-4000-8000-000000000001';

function sentMessages(outgoing: readonly PoolOutgoing[]) {
  const defragmenter = new Defragmenter();
  return outgoing.flatMap((item) =>
    item.kind === 'data'
      ? defragmenter.push(item.bytes).map((m) => {
          const message = decodeMessage(m.data);
          return { ...message, type: messageTypeName(message.messageType), item };
        })
      : [],
  );
}

function poolIn(state: RunspacePoolState): RunspacePool {
  if (state === 'BeforeOpen') return new RunspacePool({ runspacePoolId: POOL_ID, exchangeKey: KEY });
  if (state === 'Opening') {
    const pool = poolIn('BeforeOpen');
    pool.open();
    return pool;
  }
  const { pool, server } = openedPool({ exchangeKey: KEY });
  const steps: Record<Exclude<RunspacePoolState, 'BeforeOpen' | 'Opening'>, (() => void)[]> = {
    Opened: [],
    Closing: [() => pool.close()],
    Closed: [() => pool.close(), () => pool.transportClosed()],
    Broken: [() => pool.receive(server.poolState(5))],
    Disconnecting: [() => pool.disconnect()],
    Disconnected: [() => pool.disconnect(), () => pool.transportDisconnected()],
    Connecting: [() => pool.disconnect(), () => pool.transportDisconnected(), () => pool.reconnect()],
  };
  for (const step of steps[state]) step();
  expect(pool.state).toBe(state);
  return pool;
}

const POOL_STATES: RunspacePoolState[] = [
  'BeforeOpen',
  'Opening',
  'Opened',
  'Closing',
  'Closed',
  'Broken',
  'Disconnecting',
  'Disconnected',
  'Connecting',
];

type PoolActionName = keyof typeof RUNSPACE_POOL_TRANSITIONS;
const POOL_ACTIONS: [string, PoolActionName, (pool: RunspacePool) => unknown][] = [
  ['open', 'open', (p) => p.open()],
  ['connect', 'connect', (p) => p.connect()],
  ['createPipeline', 'use', (p) => p.createPipeline(scriptPipeline('1'), PIPELINE_ID)],
  [
    'getCommandMetadata',
    'use',
    (p) => p.getCommandMetadata({ names: ['Get-*'], commandTypes: ['Cmdlet'] }, PIPELINE_ID),
  ],
  ['connectPipeline', 'use', (p) => p.connectPipeline(PIPELINE_ID)],
  ['setMinRunspaces', 'use', (p) => p.setMinRunspaces(1)],
  ['setMaxRunspaces', 'use', (p) => p.setMaxRunspaces(2)],
  ['getAvailableRunspaces', 'use', (p) => p.getAvailableRunspaces()],
  ['resetRunspaceState', 'use', (p) => p.resetRunspaceState()],
  ['exchangeKeys', 'use', (p) => p.exchangeKeys()],
  ['close', 'close', (p) => p.close()],
  ['transportClosed', 'transportClosed', (p) => p.transportClosed()],
  ['disconnect', 'disconnect', (p) => p.disconnect()],
  ['transportDisconnected', 'transportDisconnected', (p) => p.transportDisconnected()],
  ['reconnect', 'reconnect', (p) => p.reconnect()],
  ['transportReconnected', 'transportReconnected', (p) => p.transportReconnected()],
  ['receive', 'receive', (p) => p.receive(new Uint8Array(0))],
];

describe('RunspacePool transition table', () => {
  for (const [name, action, run] of POOL_ACTIONS) {
    it(`${name} is legal exactly in ${RUNSPACE_POOL_TRANSITIONS[action].from.join(', ')}`, () => {
      const allowed = RUNSPACE_POOL_TRANSITIONS[action].from;
      for (const state of POOL_STATES) {
        const pool = poolIn(state);
        if (allowed.includes(state)) {
          expect(() => run(pool), `${name} in ${state}`).not.toThrow();
        } else {
          let error: unknown;
          try {
            run(pool);
          } catch (caught) {
            error = caught;
          }
          expect(error, `${name} in ${state}`).toBeInstanceOf(InvalidStateError);
          expect((error as InvalidStateError).allowed).toEqual(allowed);
          expect((error as InvalidStateError).state).toBe(state);
          expect(pool.state).toBe(state);
        }
      }
    });
  }
});

const PIPELINE_STATES: PipelineState[] = [
  'NotStarted',
  'Running',
  'Stopping',
  'Stopped',
  'Completed',
  'Failed',
  'Disconnected',
];

function pipelineIn(state: PipelineState): { pool: RunspacePool; pipeline: Pipeline } {
  const { pool, server } = openedPool();
  const pipeline = pool.createPipeline(scriptPipeline('$input', { noInput: false }), PIPELINE_ID);
  const steps: Record<PipelineState, (() => void)[]> = {
    NotStarted: [],
    Running: [() => pipeline.invoke()],
    Stopping: [() => pipeline.invoke(), () => pipeline.stop()],
    Stopped: [() => pipeline.invoke(), () => pool.receive(server.pipelineState(PIPELINE_ID, 3), PIPELINE_ID)],
    Completed: [() => pipeline.invoke(), () => pool.receive(server.pipelineState(PIPELINE_ID, 4), PIPELINE_ID)],
    Failed: [() => pipeline.invoke(), () => pool.receive(server.pipelineState(PIPELINE_ID, 5), PIPELINE_ID)],
    Disconnected: [() => pipeline.invoke(), () => pool.disconnect(), () => pool.transportDisconnected()],
  };
  for (const step of steps[state]) step();
  expect(pipeline.state).toBe(state);
  return { pool, pipeline };
}

describe('Pipeline transition table', () => {
  const actions: [string, keyof typeof PIPELINE_TRANSITIONS, (p: Pipeline) => void][] = [
    ['invoke', 'invoke', (p) => p.invoke()],
    ['sendInput', 'input', (p) => p.sendInput(1)],
    ['endInput', 'input', (p) => p.endInput()],
    ['stop', 'stop', (p) => p.stop()],
  ];
  for (const [name, action, run] of actions) {
    it(`${name} is legal exactly in ${PIPELINE_TRANSITIONS[action].from.join(', ')}`, () => {
      const allowed = PIPELINE_TRANSITIONS[action].from;
      for (const state of PIPELINE_STATES) {
        const { pipeline } = pipelineIn(state);
        if (allowed.includes(state)) {
          expect(() => run(pipeline)).not.toThrow();
        } else {
          expect(() => run(pipeline), `${name} in ${state}`).toThrow(InvalidStateError);
          try {
            run(pipeline);
          } catch (error) {
            expect((error as InvalidStateError).allowed).toEqual(allowed);
          }
        }
      }
    });
  }

  it('reports server moves that the table forbids as protocol errors', () => {
    const { pool, server } = openedPool();
    pool.createPipeline(scriptPipeline('1'), PIPELINE_ID).invoke();
    pool.receive(server.pipelineState(PIPELINE_ID, 4), PIPELINE_ID);
    expect(() => pool.receive(server.output(PIPELINE_ID, primitive('Int32', 1)), PIPELINE_ID)).toThrow(ProtocolError);
  });
});

describe('RunspacePool behaviour', () => {
  it('opens with SESSION_CAPABILITY and INIT_RUNSPACEPOOL in one creationXml payload, and reports the open', () => {
    const server = new FakeServer();
    const pool = new RunspacePool({ runspacePoolId: POOL_ID, host: hostWithUI(), minRunspaces: 1, maxRunspaces: 3 });
    pool.open();
    const outgoing = pool.dataToSend();
    expect(outgoing.map((o) => o.kind === 'data' && [o.carrier, o.stream, o.pipelineId])).toEqual([
      ['create', 'stdin', undefined],
    ]);
    const messages = sentMessages(outgoing);
    expect(messages.map((m) => m.type)).toEqual(['SessionCapability', 'InitRunspacePool']);
    expect(messages.every((m) => m.runspacePoolId === POOL_ID && m.pipelineId === NIL_GUID)).toBe(true);
    expect(messages[1]?.data).toContain('<I32 N="MaxRunspaces">3</I32>');
    expect(pool.maxEnvelopeSize).toBe(INITIAL_MAX_ENVELOPE_SIZE);
    pool.receive(Uint8Array.from([...server.capability('2.3'), ...server.poolState(2)]));
    expect(drainEvents(pool).map((e) => e.type === 'stateChanged' && [e.previous, e.state])).toEqual([
      ['BeforeOpen', 'Opening'],
      ['Opening', 'Opened'],
    ]);
    expect(pool.maxEnvelopeSize).toBe(512_000);
    expect(pool.maxPayloadBytes).toBe(maxPayloadBytes(512_000, DEFAULT_ENVELOPE_OVERHEAD));
  });

  it('keeps a configured MaxEnvelopeSize and a 2.1 server at 150 KiB', () => {
    expect(openedPool({ maxEnvelopeSize: 262_144 }).pool.maxEnvelopeSize).toBe(262_144);
    const { pool } = openedPool({}, '2.1');
    expect(pool.maxEnvelopeSize).toBe(INITIAL_MAX_ENVELOPE_SIZE);
    pool.setMaxEnvelopeSize(204_800);
    expect(pool.maxEnvelopeSize).toBe(204_800);
    expect(() => pool.setMaxEnvelopeSize(1_000)).toThrow(UsageError);
    expect(() => pool.createPipeline({ statements: [[{ command: 'a' }], [{ command: 'b' }]] }, PIPELINE_ID)).toThrow(
      /protocol 2.2/,
    );
    expect(() => pool.disconnect()).toThrow(/protocol 2.2/);
  });

  it('reports a broken pool and fails its pipelines with the error', () => {
    const { pool, server } = openedPool();
    pool.createPipeline(scriptPipeline('1'), PIPELINE_ID).invoke();
    pool.dataToSend();
    drainEvents(pool);
    const error = new PSObject({
      typeNames: ['System.Management.Automation.ErrorRecord'],
      toStringText: 'The session broke.',
      extendedProperties: [['FullyQualifiedErrorId', primitive('String', 'Broken')]],
    });
    pool.receive(server.poolState(5, error));
    const events = drainEvents(pool);
    expect(events.map((e) => e.type)).toEqual(['stateChanged', 'pipelineStateChanged']);
    expect(events[0]).toMatchObject({ state: 'Broken', error: { message: 'The session broke.' } });
    expect(events[1]).toMatchObject({ state: 'Failed', error: { fullyQualifiedErrorId: 'Broken' } });
    expect(pool.dataToSend()).toEqual([]);
  });

  it('closes pipelines the server still holds before the pool, and follows the server to Closed', () => {
    const { pool, server } = openedPool();
    pool.createPipeline(scriptPipeline('Start-Sleep 9'), PIPELINE_ID).invoke();
    pool.dataToSend();
    pool.close();
    expect(pool.dataToSend()).toEqual([{ kind: 'closePipeline', pipelineId: PIPELINE_ID }, { kind: 'closePool' }]);
    pool.receive(server.poolState(4));
    pool.receive(server.poolState(3));
    expect(pool.state).toBe('Closed');
    expect(pool.pipeline(PIPELINE_ID)?.state).toBe('Stopped');
    expect(pool.dataToSend()).toEqual([]);
    pool.transportClosed();
    expect(pool.state).toBe('Closed');
  });

  it('releases a finished pipeline once and forgets it', () => {
    const { pool, server } = openedPool();
    const pipeline = pool.createPipeline(scriptPipeline('1'), PIPELINE_ID);
    pipeline.invoke();
    expect(pool.dataToSend().map((o) => o.kind === 'data' && o.carrier)).toEqual(['command']);
    expect(drainEvents(pool)).toEqual([
      { type: 'pipelineStateChanged', pipelineId: PIPELINE_ID, state: 'Running', previous: 'NotStarted' },
    ]);
    pool.receive(server.output(PIPELINE_ID, primitive('Int32', 1)), PIPELINE_ID);
    pool.receive(server.pipelineState(PIPELINE_ID, 4), PIPELINE_ID);
    expect(drainEvents(pool).map((e) => e.type)).toEqual(['output', 'pipelineStateChanged']);
    expect(pool.dataToSend()).toEqual([{ kind: 'closePipeline', pipelineId: PIPELINE_ID }]);
    expect(pool.pipeline(PIPELINE_ID)).toBeUndefined();
    expect(() => pool.receive(server.output(PIPELINE_ID, null), PIPELINE_ID)).toThrow(/unknown pipeline/);
  });

  it('stops a pipeline through a control step and reaches Stopped when the server says so', () => {
    const { pool, server } = openedPool();
    const pipeline = pool.createPipeline(scriptPipeline('Start-Sleep 600'), PIPELINE_ID);
    pipeline.invoke();
    pipeline.stop();
    expect(pool.dataToSend().map((o) => o.kind)).toEqual(['data', 'stopPipeline']);
    pool.receive(server.pipelineState(PIPELINE_ID, 3), PIPELINE_ID);
    expect(pipeline.state).toBe('Stopped');
  });

  it('refuses input for a pipeline without input, and input after its end', () => {
    const { pool } = openedPool();
    const closed = pool.createPipeline(scriptPipeline('1'), PIPELINE_ID);
    closed.invoke();
    expect(() => closed.sendInput(1)).toThrow(/noInput/);
    const open = pool.createPipeline(scriptPipeline('$input', { noInput: false }), OTHER_ID);
    open.invoke();
    open.sendInput(1, 'two');
    open.endInput();
    expect(() => open.endInput()).toThrow(/already ended/);
    const sent = sentMessages(pool.dataToSend());
    expect(sent.map((m) => [m.type, m.item.kind === 'data' && m.item.carrier])).toEqual([
      ['CreatePipeline', 'command'],
      ['CreatePipeline', 'command'],
      ['PipelineInput', 'send'],
      ['PipelineInput', 'send'],
      ['EndOfPipelineInput', 'send'],
    ]);
    expect(new Set(sent.slice(2).map((m) => m.item))).toHaveProperty('size', 1);
  });

  it('routes strictly: wrong stream, foreign pool, client-bound types and unknown pipelines are protocol errors', () => {
    const { pool, server } = openedPool();
    pool.createPipeline(scriptPipeline('1'), PIPELINE_ID).invoke();
    expect(() => pool.receive(server.output(PIPELINE_ID, null), OTHER_ID)).toThrow(/arrived on the stream/);
    const fresh = () => openedPool().pool;
    expect(() => fresh().receive(new FakeServer(OTHER_ID).poolState(2))).toThrow(/belongs to runspace pool/);
    expect(() => fresh().receive(server.message(MessageType.CreatePipeline, ''))).toThrow(
      /not a runspace-pool message/,
    );
    expect(() => fresh().receive(server.output(OTHER_ID, null))).toThrow(/unknown pipeline/);
    expect(() => fresh().receive(server.poolState(42))).toThrow(ProtocolError);
    expect(() =>
      fresh().receive(
        server.message(
          MessageType.RunspaceAvailability,
          '<Obj RefId="0"><MS><B N="SetMinMaxRunspacesResponse">true</B><I64 N="ci">7</I64></MS></Obj>',
        ),
      ),
    ).toThrow(/was not made/);
    expect(() => fresh().receive(server.encryptedSessionKey(createPublicKey(KEY), SESSION_KEY))).toThrow(
      /without a PUBLIC_KEY/,
    );
  });

  it('packs messages into payloads no larger than the budget, which reassemble to the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40_000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 4_000, max: 60_000 }),
        (sizes, envelope) => {
          const { pool } = openedPool({ maxEnvelopeSize: envelope, envelopeOverhead: 1_000 });
          const pipeline = pool.createPipeline(
            scriptPipeline('x'.repeat(sizes[0] ?? 0), { noInput: false }),
            PIPELINE_ID,
          );
          pipeline.invoke();
          pipeline.sendInput(...sizes.slice(1).map((size) => 'y'.repeat(size)));
          const outgoing = pool.dataToSend();
          for (const item of outgoing) {
            expect(item.kind === 'data' && item.bytes.length).toBeLessThanOrEqual(pool.maxPayloadBytes);
          }
          const carriers = outgoing.map((o) => o.kind === 'data' && o.carrier);
          expect(carriers[0]).toBe('command');
          expect(carriers.slice(1).every((c) => c === 'send')).toBe(true);
          const sent = sentMessages(outgoing);
          expect(sent.map((m) => m.type)).toEqual(['CreatePipeline', ...sizes.slice(1).map(() => 'PipelineInput')]);
          expect(sent.slice(1).map((m) => m.data.length - '<S></S>'.length)).toEqual(sizes.slice(1));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('runspace limits and availability', () => {
  it('numbers calls and matches each RUNSPACE_AVAILABILITY to its request', () => {
    const { pool, server } = openedPool();
    expect([
      pool.setMaxRunspaces(4),
      pool.setMinRunspaces(2),
      pool.getAvailableRunspaces(),
      pool.resetRunspaceState(),
    ]).toEqual([0n, 1n, 2n, 3n]);
    const sent = sentMessages(pool.dataToSend());
    expect(sent.map((m) => m.type)).toEqual([
      'SetMaxRunspaces',
      'SetMinRunspaces',
      'GetAvailableRunspaces',
      'ResetRunspaceState',
    ]);
    expect(sent[0]?.data).toBe('<Obj RefId="0"><MS><I32 N="MaxRunspaces">4</I32><I64 N="CI">0</I64></MS></Obj>');
    const answer = (ci: number, response: string) =>
      server.message(
        MessageType.RunspaceAvailability,
        `<Obj RefId="0"><MS>${response}<I64 N="ci">${ci}</I64></MS></Obj>`,
      );
    pool.receive(answer(2, '<I64 N="SetMinMaxRunspacesResponse">3</I64>'));
    pool.receive(answer(0, '<B N="SetMinMaxRunspacesResponse">true</B>'));
    expect(drainEvents(pool)).toEqual([
      { type: 'runspaceAvailability', callId: 2n, request: 'getAvailableRunspaces', response: 3n },
      { type: 'runspaceAvailability', callId: 0n, request: 'setMaxRunspaces', response: true },
    ]);
    expect(() => pool.receive(answer(2, '<B N="SetMinMaxRunspacesResponse">true</B>'))).toThrow(ProtocolError);
  });

  it('sends GET_COMMAND_METADATA as the start of a pipeline', () => {
    const { pool } = openedPool();
    pool.getCommandMetadata({ names: ['Get-Item'], commandTypes: ['Alias', 'Cmdlet'] }, PIPELINE_ID).invoke();
    const [message] = sentMessages(pool.dataToSend());
    expect([message?.type, message?.pipelineId, message?.item.kind === 'data' && message.item.carrier]).toEqual([
      'GetCommandMetadata',
      PIPELINE_ID,
      'command',
    ]);
    expect(message?.data).toContain('<ToString>Alias, Cmdlet</ToString><I32>9</I32>');
  });
});

describe('host calls through the pool', () => {
  it('answers a pipeline call on stream pr, refuses void calls and double answers', () => {
    const { pool, server } = openedPool({ host: hostWithUI() });
    pool.createPipeline(scriptPipeline('Read-Host'), PIPELINE_ID).invoke();
    pool.dataToSend();
    pool.receive(server.hostCall(PIPELINE_ID, 5n, 'ReadLine', 11, []), PIPELINE_ID);
    pool.receive(server.hostCall(PIPELINE_ID, -100n, 'WriteLine2', 16, [primitive('String', 'hi')]), PIPELINE_ID);
    const [readLine, writeLine] = drainEvents(pool).flatMap((e) => (e.type === 'hostCall' ? [e.call] : []));
    if (readLine?.method !== 'ReadLine' || writeLine?.method !== 'WriteLine2') throw new Error('calls not decoded');
    expect(writeLine.parameters).toEqual({ value: 'hi' });
    expect(() => pool.answerHostCall(writeLine, { result: undefined })).toThrow(/void host call/);
    pool.declineHostCall(writeLine);
    pool.answerHostCall(readLine, { result: 'typed' });
    expect(() => pool.answerHostCall(readLine, { result: 'again' })).toThrow(/not awaiting an answer/);
    const [response] = sentMessages(pool.dataToSend());
    expect(response?.item).toMatchObject({ kind: 'data', stream: 'pr', carrier: 'send', pipelineId: PIPELINE_ID });
    expect(response?.type).toBe('PipelineHostResponse');
    expect(response?.data).toContain('<I64 N="ci">5</I64>');
    expect(response?.data).toContain('<S N="mr">typed</S>');
  });

  it('answers a runspace-pool call with RUNSPACEPOOL_HOST_RESPONSE and declines with an error record', () => {
    const { pool, server } = openedPool({ host: hostWithUI() });
    pool.receive(server.hostCall(undefined, 1n, 'GetName', 1, []));
    pool.receive(server.hostCall(undefined, 2n, 'ReadKey', 46, [primitive('Int32', 4)]));
    const [getName, readKey] = drainEvents(pool).flatMap((e) => (e.type === 'hostCall' ? [e.call] : []));
    if (getName?.method !== 'GetName' || readKey === undefined) throw new Error('calls not decoded');
    expect(getName.pipelineId).toBeUndefined();
    pool.answerHostCall(getName, { result: 'WinRM Desk' });
    pool.declineHostCall(readKey);
    const sent = sentMessages(pool.dataToSend());
    expect(sent.map((m) => [m.type, m.pipelineId, m.item.kind === 'data' && m.item.stream])).toEqual([
      ['RunspacePoolHostResponse', NIL_GUID, 'pr'],
      ['RunspacePoolHostResponse', NIL_GUID, 'pr'],
    ]);
    expect(sent[1]?.data).toContain('<Obj N="me"');
    expect(sent[1]?.data).toContain('The host does not implement ReadKey.');
  });
});

describe('answering host calls is bound to the state of the pool and pipeline', () => {
  it('refuses answers once the pool is closing or the pipeline has finished', () => {
    const { pool, server } = openedPool({ host: hostWithUI() });
    pool.createPipeline(scriptPipeline('Read-Host'), PIPELINE_ID).invoke();
    pool.receive(server.hostCall(undefined, 1n, 'GetName', 1, []));
    pool.receive(server.hostCall(PIPELINE_ID, 2n, 'ReadLine', 11, []), PIPELINE_ID);
    const [poolCall, pipelineCall] = drainEvents(pool).flatMap((e) => (e.type === 'hostCall' ? [e.call] : []));
    if (poolCall?.method !== 'GetName' || pipelineCall?.method !== 'ReadLine') throw new Error('calls not decoded');
    pool.receive(server.pipelineState(PIPELINE_ID, 5), PIPELINE_ID);
    expect(() => pool.answerHostCall(pipelineCall, { result: 'late' })).toThrow(
      expect.objectContaining({ name: 'InvalidStateError', allowed: ['Running', 'Stopping'] }),
    );
    pool.close();
    expect(() => pool.answerHostCall(poolCall, { result: 'late' })).toThrow(
      expect.objectContaining({ name: 'InvalidStateError', allowed: ['Opening', 'Opened'] }),
    );
  });

  it('sends what does not fit the creationXml by Send to the pool', () => {
    const pool = new RunspacePool({
      runspacePoolId: POOL_ID,
      maxEnvelopeSize: 8_192,
      envelopeOverhead: 1_000,
      applicationArguments: new Map([['Large', 'z'.repeat(20_000)]]),
    });
    pool.open();
    const outgoing = pool.dataToSend();
    const routes = outgoing.map((o) => o.kind === 'data' && `${o.carrier} ${o.pipelineId ?? 'pool'}`);
    expect(routes).toEqual(['create pool', ...Array<string>(routes.length - 1).fill('send pool')]);
    const sizes = outgoing.map((o) => (o.kind === 'data' ? o.bytes.length : 0));
    expect(sizes.slice(0, -1).every((size) => size === pool.maxPayloadBytes)).toBe(true);
    expect(sentMessages(outgoing).map((m) => m.type)).toEqual(['SessionCapability', 'InitRunspacePool']);
  });
});

describe('SecureString key exchange in the pool', () => {
  it('holds an answer with a secret until the session key arrives, with the PUBLIC_KEY sent first', () => {
    const { pool, server } = openedPool({ host: hostWithUI(), exchangeKey: () => KEY });
    pool.createPipeline(scriptPipeline('Read-Host -AsSecureString'), PIPELINE_ID).invoke();
    pool.dataToSend();
    pool.receive(server.hostCall(PIPELINE_ID, 1n, 'ReadLineAsSecureString', 12, []), PIPELINE_ID);
    const [call] = drainEvents(pool).flatMap((e) => (e.type === 'hostCall' ? [e.call] : []));
    if (call?.method !== 'ReadLineAsSecureString') throw new Error('call not decoded');
    pool.answerHostCall(call, { result: new SecureText('s3cret') });
    pool.setMaxRunspaces(2);
    pool.pipeline(PIPELINE_ID)?.stop();
    const first = pool.dataToSend();
    expect(sentMessages(first).map((m) => m.type)).toEqual(['PublicKey']);
    expect(first.map((o) => o.kind)).toEqual(['data', 'stopPipeline']);
    expect(pool.dataToSend()).toEqual([]);
    expect(pool.secureStringsReady).toBe(false);
    expect(() => pool.revealSecureString(primitive('SecureString', 'AAAA'))).toThrow(/no session key/);
    pool.receive(server.encryptedSessionKey(createPublicKey(KEY), SESSION_KEY));
    expect(drainEvents(pool).map((e) => e.type)).toEqual(['pipelineStateChanged', 'keyExchanged']);
    const released = sentMessages(pool.dataToSend());
    expect(released.map((m) => m.type)).toEqual(['PipelineHostResponse', 'SetMaxRunspaces']);
    const codec = sessionKeyCodec(SESSION_KEY);
    expect(released[0]?.data).toContain(`<SS N="mr">${codec.encrypt('s3cret')}</SS>`);
    expect(pool.revealSecureString(codec.encrypt('back'))).toBe('back');
  });

  it('writes credentials and SecureString arguments, and needs a key source below 2.4', () => {
    const withoutKey = openedPool().pool;
    expect(() =>
      withoutKey
        .createPipeline(
          {
            statements: [
              [
                {
                  command: 'Use-It',
                  arguments: [{ name: 'Credential', value: new Credential('u', new SecureText('p')) }],
                },
              ],
            ],
          },
          PIPELINE_ID,
        )
        .invoke(),
    ).toThrow(/exchangeKey/);
    const { pool, server } = openedPool({ exchangeKey: KEY });
    pool.receive(server.message(MessageType.PublicKeyRequest, ''));
    pool.receive(server.encryptedSessionKey(createPublicKey(KEY), SESSION_KEY));
    expect(sentMessages(pool.dataToSend()).map((m) => m.type)).toEqual(['PublicKey']);
    pool
      .createPipeline(
        {
          statements: [
            [
              {
                command: 'Use-It',
                arguments: [{ name: 'Credential', value: new Credential('u', new SecureText('p')) }],
              },
            ],
          ],
        },
        PIPELINE_ID,
      )
      .invoke();
    const [create] = sentMessages(pool.dataToSend());
    expect(create?.data).toContain(`<SS N="Password">${sessionKeyCodec(SESSION_KEY).encrypt('p')}</SS>`);
  });

  it('uses plain base64 SecureStrings when both sides speak 2.4', () => {
    const { pool } = openedPool({ capability: { ...CLIENT_CAPABILITY, protocolVersion: PROTOCOL_2_4 } }, '2.4');
    expect(pool.secureStringsReady).toBe(true);
    expect(pool.revealSecureString(Buffer.from('plain', 'utf16le').toString('base64'))).toBe('plain');
    pool.exchangeKeys();
    expect(pool.dataToSend()).toEqual([]);
    expect(openedPool({}, '2.4').pool.secureStringsReady).toBe(false);
  });
});
