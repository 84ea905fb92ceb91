import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, UsageError } from '../../errors';
import { deserializeClixml, primitive, PSObject, PSVersion, serializeClixml, type PSValue } from '../clixml';
import {
  answerHoldsSecrets,
  decodeHostCall,
  hostMethodName,
  hostMethodReturns,
  hostResponseBody,
  VOID_CALL_ID,
  type HostCall,
  type HostCallOf,
  type HostMethodName,
} from './host';
import { Credential, SecureText } from './messages/values';
import { MessageType } from '../message';
import { capturedMessages } from '../test-support/captures';
import { captureFiles } from './test-support/replay';

/** PROTOCOL.md §2.7, in id order from 1; `*` marks the void methods. */
const PROTOCOL_TABLE =
  'GetName GetVersion GetInstanceId GetCurrentCulture GetCurrentUICulture SetShouldExit* EnterNestedPrompt* ' +
  'ExitNestedPrompt* NotifyBeginApplication* NotifyEndApplication* ReadLine ReadLineAsSecureString Write1* Write2* ' +
  'WriteLine1* WriteLine2* WriteLine3* WriteErrorLine* WriteDebugLine* WriteProgress* WriteVerboseLine* ' +
  'WriteWarningLine* Prompt PromptForCredential1 PromptForCredential2 PromptForChoice GetForegroundColor ' +
  'SetForegroundColor* GetBackgroundColor SetBackgroundColor* GetCursorPosition SetCursorPosition* GetWindowPosition ' +
  'SetWindowPosition* GetCursorSize SetCursorSize* GetBufferSize SetBufferSize* GetWindowSize SetWindowSize* ' +
  'GetWindowTitle SetWindowTitle* GetMaxWindowSize GetMaxPhysicalWindowSize GetKeyAvailable ReadKey ' +
  'FlushInputBuffer* SetBufferContents1* SetBufferContents2* GetBufferContents ScrollBufferContents* PushRunspace* ' +
  'PopRunspace* GetIsRunspacePushed GetRunspace PromptForChoiceMultipleSelection';

const list = (...items: PSValue[]): PSObject =>
  new PSObject({ typeNames: ['System.Collections.ArrayList', 'System.Object'], value: { kind: 'List', items } });
const note = (properties: Record<string, PSValue>): PSObject =>
  new PSObject({ extendedProperties: Object.entries(properties) });
const int = (value: number) => primitive('Int32', value);
const str = (value: string) => primitive('String', value);

function callBody(callId: bigint, method: string, parameters: PSValue[]): PSValue {
  const id = PROTOCOL_TABLE.split(' ').findIndex((name) => name.replace('*', '') === method) + 1;
  return deserializeClixml(
    serializeClixml(
      note({
        ci: primitive('Int64', callId),
        mi: new PSObject({
          typeNames: ['System.Management.Automation.Remoting.RemoteHostMethodId', 'System.Enum'],
          toStringText: method,
          value: int(id),
        }),
        mp: list(...parameters),
      }),
    ),
  );
}

function call<M extends HostMethodName>(method: M, parameters: PSValue[] = [], callId = 7n): HostCallOf<M> {
  const decoded = decodeHostCall(callBody(callId, method, parameters), undefined);
  expect(decoded.method).toBe(method);
  return decoded as HostCallOf<M>;
}

const encrypt = (text: string): string => Buffer.from(`enc(${text})`).toString('base64');
const enc = encrypt;
const mr = <M extends HostMethodName>(
  c: HostCallOf<M>,
  result: HostCallOf<M> extends never ? never : unknown,
): string => hostResponseBody(c, { result } as never, encrypt);

describe('host method table', () => {
  it('has the ids, names and void methods of PROTOCOL.md §2.7', () => {
    PROTOCOL_TABLE.split(' ').forEach((entry, index) => {
      const name = entry.replace('*', '') as HostMethodName;
      expect(hostMethodName(index + 1)).toBe(name);
      expect(hostMethodReturns(name), name).toBe(!entry.endsWith('*'));
    });
    expect(hostMethodName(0)).toBeUndefined();
    expect(hostMethodName(57)).toBeUndefined();
  });
});

describe('decodeHostCall', () => {
  it('decodes every parameterised method', () => {
    const cell = note({
      character: primitive('Char', 0x41),
      foregroundColor: int(14),
      backgroundColor: int(1),
      bufferCellType: int(0),
    });
    const rectangle = note({ left: int(0), top: int(1), right: int(2), bottom: int(3) });
    const expectations: [HostMethodName, PSValue[], unknown][] = [
      ['SetShouldExit', [int(3)], { exitCode: 3 }],
      ['WriteLine3', [int(12), int(0), str('red')], { foregroundColor: 'Red', backgroundColor: 'Black', value: 'red' }],
      ['WriteErrorLine', [str('boom')], { message: 'boom' }],
      ['SetBackgroundColor', [int(5)], { color: 'DarkMagenta' }],
      ['SetWindowPosition', [note({ x: int(4), y: int(5) })], { position: { x: 4, y: 5 } }],
      ['SetCursorSize', [int(25)], { size: 25 }],
      ['SetWindowSize', [note({ width: int(120), height: int(30) })], { size: { width: 120, height: 30 } }],
      ['GetBufferContents', [rectangle], { rectangle: { left: 0, top: 1, right: 2, bottom: 3 } }],
      ['PushRunspace', [str('rs')], { runspace: str('rs') }],
      [
        'PromptForCredential1',
        [str('c'), str('m'), null, str('t')],
        { caption: 'c', message: 'm', userName: '', targetName: 't' },
      ],
      [
        'PromptForChoiceMultipleSelection',
        [str('c'), null, list(note({ label: str('&A'), helpMessage: str('a') })), list(int(0), int(2))],
        { caption: 'c', message: '', choices: [{ label: '&A', helpMessage: 'a' }], defaultChoices: [0, 2] },
      ],
      [
        'ScrollBufferContents',
        [rectangle, note({ x: int(0), y: int(0) }), rectangle, cell],
        {
          source: { left: 0, top: 1, right: 2, bottom: 3 },
          destination: { x: 0, y: 0 },
          clip: { left: 0, top: 1, right: 2, bottom: 3 },
          fill: { character: 'A', foregroundColor: 'Yellow', backgroundColor: 'DarkBlue', bufferCellType: 0 },
        },
      ],
    ];
    for (const [method, parameters, expected] of expectations) {
      expect(call(method, parameters).parameters, method).toEqual(expected);
    }
  });

  it('marks ci = -100 as a call that expects no answer', () => {
    const decoded = decodeHostCall(
      callBody(VOID_CALL_ID, 'WriteLine2', [str('x')]),
      'a1b2c3d4-e5f6-4708-9a0b-1c2d3e4f5a6b',
    );
    expect(decoded).toMatchObject({ expectsAnswer: false, pipelineId: 'a1b2c3d4-e5f6-4708-9a0b-1c2d3e4f5a6b' });
  });

  it('reports missing or mistyped parameters and unknown methods as protocol errors', () => {
    expect(() => call('SetShouldExit', [])).toThrow(/parameter 0 is missing/);
    expect(() => call('SetForegroundColor', [int(16)])).toThrow(/not a ConsoleColor/);
    expect(() => call('Write1', [int(1)])).toThrow(/expected a String/);
    const unknown = deserializeClixml(serializeClixml(note({ ci: primitive('Int64', 1n), mi: int(99), mp: list() })));
    expect(() => decodeHostCall(unknown, undefined)).toThrow(/unknown host method id 99/);
  });

  it('decodes every host call Windows sent in the captures', () => {
    const files = ['test_psrp_pshost_ui_mocked_methods.yml', 'test_psrp_pshost_raw_ui_mocked_methods.yml'];
    const methods = files.flatMap((file) =>
      capturedMessages(file, captureFiles().get(file) ?? [])
        .filter((m) => m.message.messageType === MessageType.PipelineHostCall)
        .map((m) => decodeHostCall(deserializeClixml(m.message.data), m.message.pipelineId).method),
    );
    expect(methods).toHaveLength(30);
    expect(new Set(methods)).toEqual(
      new Set([
        ...['ReadLine', 'ReadLineAsSecureString', 'Write1', 'Write2', 'WriteLine1', 'WriteLine2', 'WriteLine3'],
        ...['WriteErrorLine', 'WriteDebugLine', 'WriteProgress', 'WriteVerboseLine', 'WriteWarningLine', 'Prompt'],
        ...['PromptForCredential2', 'PromptForChoice', 'SetForegroundColor', 'SetBackgroundColor', 'SetCursorPosition'],
        ...['SetWindowPosition', 'SetCursorSize', 'SetBufferSize', 'SetWindowSize', 'SetWindowTitle', 'ReadKey'],
        ...['FlushInputBuffer', 'SetBufferContents1', 'SetBufferContents2', 'ScrollBufferContents'],
      ]),
    );
  });

  it('on mutated host calls only returns calls or throws ProtocolError', () => {
    const source = serializeClixml(
      callBody(3n, 'Prompt', [
        str('c'),
        str('m'),
        list(note({ name: str('n'), label: str('l'), isMandatory: primitive('Boolean', true) })),
      ]),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat(8), fc.constantFrom('', '<', 'I32', 'S', '1', '"', '/>')), {
          minLength: 1,
          maxLength: 3,
        }),
        (edits) => {
          const xml = edits.reduce((text, [at, remove, insert]) => {
            const position = at % text.length;
            return text.slice(0, position) + insert + text.slice(position + remove);
          }, source);
          try {
            decodeHostCall(deserializeClixml(xml), undefined);
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('hostResponseBody', () => {
  it('writes each kind of result as PowerShell reads it', () => {
    expect(mr(call('GetVersion'), new PSVersion(7, 6))).toContain('<Version N="mr">7.6</Version>');
    expect(mr(call('GetInstanceId'), '0f8fad5b-d9cb-469f-a165-70867728950e')).toContain(
      '<G N="mr">0f8fad5b-d9cb-469f-a165-70867728950e</G>',
    );
    expect(mr(call('GetForegroundColor'), 'Cyan')).toContain('<I32 N="mr">11</I32>');
    expect(mr(call('GetCursorPosition'), { x: 2, y: 3 })).toContain(
      '<Obj N="mr" RefId="2"><MS><I32 N="x">2</I32><I32 N="y">3</I32></MS></Obj>',
    );
    expect(mr(call('GetMaxWindowSize'), { width: 200, height: 50 })).toContain(
      '<MS><I32 N="width">200</I32><I32 N="height">50</I32></MS>',
    );
    expect(mr(call('GetKeyAvailable'), false)).toContain('<B N="mr">false</B>');
    expect(mr(call('ReadLineAsSecureString'), new SecureText('pw'))).toContain(`<SS N="mr">${enc('pw')}</SS>`);
    expect(mr(call('PromptForChoiceMultipleSelection', [str(''), str(''), list(), list()]), [1, 3])).toContain(
      '<LST><I32>1</I32><I32>3</I32></LST>',
    );
    const cell = { character: 'x', foregroundColor: 'Gray', backgroundColor: 'Black', bufferCellType: 0 } as const;
    const contents = mr(
      call('GetBufferContents', [note({ left: int(0), top: int(0), right: int(1), bottom: int(0) })]),
      [[cell, cell]],
    );
    expect(contents).toContain('<Obj N="mal"');
    expect(contents).toContain('<LST><I32>1</I32><I32>2</I32></LST>');
    expect(contents).toContain('<C N="character">120</C><I32 N="foregroundColor">7</I32>');
  });

  it('writes Prompt answers with secrets and credentials encrypted', () => {
    const prompt = call('Prompt', [str(''), str(''), list(note({ name: str('a') }))]);
    const answer = {
      result: new Map<string, unknown>([
        ['a', 'plain'],
        ['b', new SecureText('s')],
        ['c', new Credential('u', new SecureText('p'))],
      ]),
    } as never;
    const body = hostResponseBody(prompt, answer, encrypt);
    expect(body).toContain('<S N="Key">a</S><S N="Value">plain</S>');
    expect(body).toContain(`<SS N="Value">${enc('s')}</SS>`);
    expect(body).toContain(`<S N="UserName">u</S><SS N="Password">${enc('p')}</SS>`);
    expect(answerHoldsSecrets(prompt, answer)).toBe(true);
    expect(answerHoldsSecrets(prompt, { result: new Map([['a', 'plain']]) })).toBe(false);
    expect(answerHoldsSecrets(prompt, { error: 'no' })).toBe(false);
  });

  it('writes an error answer as an ErrorRecord in me, and refuses to answer void calls', () => {
    const body = hostResponseBody(
      call('ReadLine'),
      { error: 'no console', fullyQualifiedErrorId: 'NoConsole' },
      encrypt,
    );
    const parsed = deserializeClixml(body) as PSObject;
    const record = parsed.property('me') as PSObject;
    expect(record.isInstanceOf('System.Management.Automation.ErrorRecord')).toBe(true);
    expect(record.property('FullyQualifiedErrorId')).toEqual(str('NoConsole'));
    expect(parsed.property('mr')).toBeUndefined();
    const voidCall = decodeHostCall(callBody(VOID_CALL_ID, 'Write1', [str('x')]), undefined) as HostCall;
    expect(() => hostResponseBody(voidCall, { error: 'x' }, encrypt)).toThrow(UsageError);
  });
});
