import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Credential, SecureText, type HostCall } from '../../core/psrp/session';
import type { PowerShellSession } from '../session/powershell-session';
import { TerminalHost, type LineReader } from './terminal-host';

function setUp(answers: string[], colours = false) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const asked: string[] = [];
  const reader: LineReader = {
    question: async (prompt) => (asked.push(prompt), answers.shift() ?? ''),
    secret: async (prompt) => (asked.push(`secret ${prompt}`), answers.shift() ?? ''),
  };
  const replies: unknown[] = [];
  const session = {
    answerHostCall: (_call: HostCall, answer: unknown) => replies.push(answer),
    declineHostCall: (call: HostCall) => replies.push(`declined ${call.method}`),
  } as unknown as PowerShellSession;
  const host = new TerminalHost({
    session,
    reader,
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
    colours,
  });
  return { host, asked, replies, output: () => ({ stdout, stderr }) };
}

const call = (method: string, parameters: object, expectsAnswer = true) =>
  ({
    method,
    parameters,
    expectsAnswer,
    callId: 1n,
    pipelineId: 'p',
    methodId: 0,
    rawParameters: [],
  }) as unknown as HostCall;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('TerminalHost', () => {
  it('writes host output, in colour only on a terminal', async () => {
    const plain = setUp([]);
    plain.host.handle(call('WriteLine3', { value: 'red', foregroundColor: 'Red', backgroundColor: 'Black' }, false));
    plain.host.handle(call('WriteWarningLine', { message: 'careful' }, false));
    const coloured = setUp([], true);
    coloured.host.handle(call('Write2', { value: 'x', foregroundColor: 'Yellow', backgroundColor: 'DarkBlue' }, false));
    await settle();
    expect(plain.output()).toEqual({ stdout: 'red\n', stderr: 'WARNING: careful\n' });
    expect(coloured.output().stdout).toBe('\x1b[93;44mx\x1b[0m');
    expect(plain.replies).toEqual([]); // void calls are never answered
  });

  it('answers Read-Host, secure Read-Host and Get-Credential from the reader', async () => {
    const { host, asked, replies } = setUp(['typed', 'hidden', 'bob', 'pw']);
    host.handle(call('ReadLine', {}));
    await settle();
    host.handle(call('ReadLineAsSecureString', {}));
    await settle();
    host.handle(call('PromptForCredential1', { caption: 'Cap', message: 'Msg', userName: '', targetName: '' }));
    await settle();
    expect(replies).toEqual([
      { result: 'typed' },
      { result: new SecureText('hidden') },
      { result: new Credential('bob', new SecureText('pw')) },
    ]);
    expect(asked).toEqual(['', 'secret ', 'User: ', 'secret Password for user bob: ']);
  });

  it('asks for each field of a Prompt by its type, and for a choice by hot key, label or default', async () => {
    const { host, replies, asked } = setUp(['alice', 's3cret', 'x', 'no', '']);
    const field = (name: string, type: string) => ({ name, label: '', parameterTypeFullName: type });
    host.handle(
      call('Prompt', {
        caption: '',
        message: '',
        descriptions: [field('Name', 'System.String'), field('Key', 'System.Security.SecureString')],
      }),
    );
    await settle();
    const choices = [{ label: '&Yes' }, { label: '&No' }];
    host.handle(call('PromptForChoice', { caption: 'Continue?', message: '', choices, defaultChoice: 0 }));
    await settle();
    host.handle(call('PromptForChoice', { caption: '', message: '', choices, defaultChoice: 0 }));
    await settle();
    expect(replies).toEqual([
      {
        result: new Map<string, unknown>([
          ['Name', 'alice'],
          ['Key', new SecureText('s3cret')],
        ]),
      },
      { result: 1 }, // 'x' is no choice, asked again; 'no' is the label of the second
      { result: 0 }, // Enter: the default
    ]);
    expect(asked.at(-1)).toBe('[Y] Yes  [N] No  (default is "Y"): ');
  });

  it('declines what it does not implement, so the remote command fails rather than waits', async () => {
    const { host, replies } = setUp([]);
    host.handle(call('GetBufferContents', { rectangle: { left: 0, top: 0, right: 1, bottom: 1 } }));
    await settle();
    expect(replies).toEqual(['declined GetBufferContents']);
  });
});
