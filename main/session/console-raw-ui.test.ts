import { describe, expect, it } from 'vitest';
import type { HostAnswer, HostCall, HostCallOf, HostMethodName, HostMethods } from '../../core/psrp/session';
import { ConsoleRawUI } from './console-raw-ui';

// ConsoleRawUI's state and answers on their own; e2e/protocol/console-flow.test.ts runs them against real pwsh.

function call<M extends HostMethodName>(method: M, parameters: HostMethods[M]['parameters']): HostCall {
  const expectsAnswer = method.startsWith('Get') || method === 'ReadKey';
  return {
    method,
    methodId: 0,
    callId: expectsAnswer ? 1n : -100n,
    pipelineId: 'B5B4E2F0-0000-4000-8000-000000000001',
    expectsAnswer,
    parameters,
    rawParameters: [],
  } as HostCallOf<M> as HostCall;
}

/** Records the answers, as the session would send them. */
function answers() {
  const sent: [string, unknown][] = [];
  return {
    sent,
    session: {
      answerHostCall: <M extends HostMethodName>(hostCall: HostCallOf<M>, answer: HostAnswer<M>) =>
        void sent.push([hostCall.method, answer]),
      declineHostCall: (hostCall: HostCall, reason?: string) => void sent.push([hostCall.method, { error: reason }]),
    },
  };
}

const wholeBuffer = { left: -1, top: -1, right: -1, bottom: -1 };
const blank = { character: ' ', foregroundColor: 'Gray', backgroundColor: 'Black', bufferCellType: 0 } as const;

describe('ConsoleRawUI', () => {
  it('describes the terminal it was last sized to, with what scripts set, in the host info of new pipelines', () => {
    const rawUI = new ConsoleRawUI({ columns: 120, rows: 30 });
    const { session } = answers();
    rawUI.resize({ columns: 50, rows: 20 });
    expect(rawUI.handle(call('SetWindowTitle', { title: 'lab' }), session)).toBe('none');
    expect(rawUI.handle(call('SetBackgroundColor', { color: 'DarkBlue' }), session)).toBe('none');
    // A script cannot resize the user's window.
    expect(rawUI.handle(call('SetWindowSize', { size: { width: 10, height: 5 } }), session)).toBe('none');
    expect(rawUI.hostInfo()).toEqual({
      hasHost: true,
      hasUI: true,
      hasRawUI: true,
      useRunspaceHost: false,
      defaultData: {
        foregroundColor: 'Gray',
        backgroundColor: 'DarkBlue',
        cursorPosition: { x: 0, y: 0 },
        windowPosition: { x: 0, y: 0 },
        cursorSize: 25,
        bufferSize: { width: 50, height: 9001 },
        windowSize: { width: 50, height: 20 },
        maxWindowSize: { width: 50, height: 20 },
        maxPhysicalWindowSize: { width: 50, height: 20 },
        windowTitle: 'lab',
      },
    });
  });

  it('answers every getter from its state and declines what a terminal stream cannot do', () => {
    const rawUI = new ConsoleRawUI({ columns: 80, rows: 24 });
    const { session, sent } = answers();
    rawUI.handle(call('SetCursorPosition', { position: { x: 3, y: 7 } }), session);
    for (const method of [
      'GetForegroundColor',
      'GetCursorPosition',
      'GetBufferSize',
      'GetWindowSize',
      'GetKeyAvailable',
      'GetBufferContents',
    ] as const) {
      const parameters = method === 'GetBufferContents' ? { rectangle: wholeBuffer } : {};
      expect(rawUI.handle(call(method, parameters as never), session)).toBe('none');
    }
    expect(sent).toEqual([
      ['GetForegroundColor', { result: 'Gray' }],
      ['GetCursorPosition', { result: { x: 3, y: 7 } }],
      ['GetBufferSize', { result: { width: 80, height: 9001 } }],
      ['GetWindowSize', { result: { width: 80, height: 24 } }],
      ['GetKeyAvailable', { result: false }],
      ['GetBufferContents', { error: 'this terminal does not support GetBufferContents' }],
    ]);
  });

  it("clears the screen for Clear-Host's whole-buffer fill only, and leaves other methods to the caller", () => {
    const rawUI = new ConsoleRawUI({ columns: 80, rows: 24 });
    const { session, sent } = answers();
    expect(rawUI.handle(call('SetBufferContents1', { rectangle: wholeBuffer, fill: blank }), session)).toBe(
      'clear-screen',
    );
    const someCells = { left: 0, top: 0, right: 9, bottom: 0 };
    expect(rawUI.handle(call('SetBufferContents1', { rectangle: someCells, fill: blank }), session)).toBe('none');
    expect(rawUI.handle(call('WriteLine2', { value: 'text' }), session)).toBeUndefined();
    expect(rawUI.handle(call('ReadLine', {}), session)).toBeUndefined();
    expect(sent).toEqual([]);
  });
});
