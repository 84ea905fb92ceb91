import { describe, expect, it } from 'vitest';
import type { SessionTerminalEvent } from '../../../core/contract/session-service';
import type { TerminalEvent } from '../terminal/TerminalView';
import { consoleColorSgr, PS_STYLE } from '../terminal/streams';
import { SessionTerminalEvents, sessionTerminalCallbacks, terminalEventOf } from './terminal-events';

const SESSION = '0b5c2f52-5d2b-4c3a-9a34-6f0c8d1e2f30';

function fakeSessions() {
  let listener: ((event: SessionTerminalEvent) => void) | undefined;
  const calls: [string, unknown][] = [];
  const record =
    (name: string, result: unknown = undefined) =>
    async (request: unknown) => {
      calls.push([name, request]);
      return result as never;
    };
  return {
    calls,
    send: (sequence: number, event: SessionTerminalEvent['event']) =>
      listener?.({ sessionId: SESSION, sequence, event }),
    sessions: {
      onDidTerminalEvent: (subscriber: (event: SessionTerminalEvent) => void) => {
        listener = subscriber;
        return { dispose: () => (listener = undefined) };
      },
      submit: record('submit'),
      answerReadLine: record('answerReadLine'),
      interrupt: record('interrupt'),
      complete: record('complete', null),
      acknowledgeOutput: record('acknowledgeOutput'),
      resize: record('resize'),
      attachTerminal: record('attachTerminal'),
    },
  };
}

describe('terminalEventOf', () => {
  it('styles each stream for xterm and keeps the sequence on text', () => {
    expect(terminalEventOf({ type: 'stream', stream: 'warning', message: 'hi' }, 4)).toEqual({
      type: 'output',
      data: `${PS_STYLE.warning}WARNING: hi\x1b[0m\r\n`,
      sequence: 4,
    });
    const write = terminalEventOf({ type: 'host-write', text: 'a\nb', noNewline: false, foreground: 'Red' }, 5);
    expect(write).toMatchObject({ type: 'output', sequence: 5 });
    const red = consoleColorSgr('Red', 'foreground');
    expect((write as { data: string }).data).toBe(`${red}a\x1b[0m\r\n${red}b\x1b[0m\r\n`);
    expect(terminalEventOf({ type: 'host-write', text: 'x', noNewline: true, foreground: 'NoSuchColour' }, 6)).toEqual({
      type: 'output',
      data: 'x',
      sequence: 6,
    });
    expect(terminalEventOf({ type: 'prompt', prompt: 'PS> ' }, 7)).toEqual({ type: 'prompt', prompt: 'PS> ' });
  });
});

describe('SessionTerminalEvents', () => {
  it('keeps events until a terminal listens, also across a mount that is undone in the same task', async () => {
    const fake = fakeSessions();
    const events = new SessionTerminalEvents(fake.sessions);
    fake.send(1, { type: 'prompt', prompt: 'PS> ' });
    const first: TerminalEvent[] = [];
    const second: TerminalEvent[] = [];
    // React's StrictMode: mount, unmount, mount again, all before any microtask.
    events.source(SESSION)((event) => first.push(event))();
    const unsubscribe = events.source(SESSION)((event) => second.push(event));
    await Promise.resolve();
    fake.send(2, { type: 'information', message: 'later' });
    expect(first).toEqual([{ type: 'prompt', prompt: 'PS> ' }]);
    expect(second).toEqual([
      { type: 'prompt', prompt: 'PS> ' },
      { type: 'output', data: 'later\r\n', sequence: 2 },
    ]);
    // Delivered events are not replayed to a later terminal.
    unsubscribe();
    const third: TerminalEvent[] = [];
    events.source(SESSION)((event) => third.push(event));
    expect(third).toEqual([]);
    // Main is told once that this page's terminal shows the session, however often it mounts.
    expect(fake.calls).toEqual([['attachTerminal', { sessionId: SESSION }]]);
    events.dispose();
  });
});

describe('sessionTerminalCallbacks', () => {
  it('turns intents into session calls, acknowledges written text and reports the size', async () => {
    const fake = fakeSessions();
    const errors: unknown[] = [];
    const callbacks = sessionTerminalCallbacks(fake.sessions, SESSION, (error) => errors.push(error));
    callbacks.onInput({ type: 'submit', text: 'Get-Date', history: [] });
    callbacks.onInput({ type: 'read-line', text: 'alice' });
    callbacks.onInput({ type: 'interrupt' });
    callbacks.onWritten({ sequence: 3 });
    callbacks.onWritten({});
    callbacks.onResize({ columns: 50, rows: 20 });
    expect(await callbacks.complete('Get-Da', 6)).toBeUndefined();
    expect(fake.calls).toEqual([
      ['submit', { sessionId: SESSION, text: 'Get-Date' }],
      ['answerReadLine', { sessionId: SESSION, text: 'alice' }],
      ['interrupt', { sessionId: SESSION }],
      ['resize', { sessionId: SESSION, columns: 50, rows: 20 }],
      ['complete', { sessionId: SESSION, text: 'Get-Da', cursor: 6 }],
      // Acknowledged when the task that wrote it ends.
      ['acknowledgeOutput', { sessionId: SESSION, sequence: 3 }],
    ]);
    expect(errors).toEqual([]);
  });

  it('acknowledges the events written in one task with one call for the newest', async () => {
    const fake = fakeSessions();
    const callbacks = sessionTerminalCallbacks(fake.sessions, SESSION, (error) => {
      throw error;
    });
    for (const sequence of [4, 5, 6]) callbacks.onWritten({ sequence });
    await Promise.resolve();
    callbacks.onWritten({ sequence: 7 });
    await Promise.resolve();
    expect(fake.calls).toEqual([
      ['acknowledgeOutput', { sessionId: SESSION, sequence: 6 }],
      ['acknowledgeOutput', { sessionId: SESSION, sequence: 7 }],
    ]);
  });
});
