import type { Terminal } from '@xterm/xterm';
import { StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import type { CompletionResult } from '../completion';
import { TerminalView, type TerminalEvent, type TerminalEventSource, type TerminalInput } from '../TerminalView';

/**
 * A page for browser tests of the terminal view: TerminalView against a fake session that echoes
 * commands, completes cmdlet names, asks Read-Host for `read`, and runs `sleep` until Ctrl+C. Tests
 * drive it with the keyboard and read the screen through xterm's buffer on `window.terminalHarness`.
 */

export interface TerminalHarness {
  terminal: Terminal | undefined;
  readonly inputs: TerminalInput[];
  readonly pastes: string[];
  readonly links: string[];
  /** Text put on the clipboard. */
  readonly copied: string[];
  readonly resizes: { readonly columns: number; readonly rows: number }[];
  readonly errors: string[];
  /** Output events xterm has finished writing (their sequence numbers). */
  readonly written: number[];
  readonly history: string[][];
  /** The answer to paste confirmations. */
  allowPaste: boolean;
  emit(event: TerminalEvent): void;
  /** The visible rows, trailing blanks removed. */
  screen(): string[];
  /** Every row of the buffer, scrollback included. */
  buffer(): string[];
  cursor(): { readonly row: number; readonly column: number };
}

declare global {
  interface Window {
    terminalHarness: TerminalHarness;
  }
}

export const PROMPT = 'PS C:\\> ';
const CMDLETS = ['Get-ChildItem', 'Get-Command', 'Get-Content', 'Get-Date'];

const listeners = new Set<(event: TerminalEvent) => void>();
const events: TerminalEventSource = (listener) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};
let sequence = 0;
let sleeping = false;

function rows(terminal: Terminal | undefined, from: number, to: number): string[] {
  const buffer = terminal?.buffer.active;
  if (!buffer) return [];
  const lines: string[] = [];
  for (let y = from; y < Math.min(to, buffer.length); y += 1)
    lines.push((buffer.getLine(y)?.translateToString(true) ?? '').trimEnd());
  while (lines.at(-1) === '') lines.pop();
  return lines;
}

const harness: TerminalHarness = {
  terminal: undefined,
  inputs: [],
  pastes: [],
  links: [],
  copied: [],
  resizes: [],
  errors: [],
  written: [],
  history: [],
  allowPaste: true,
  emit: (event) => listeners.forEach((listener) => listener(event)),
  screen: () => {
    const buffer = harness.terminal?.buffer.active;
    return buffer ? rows(harness.terminal, buffer.viewportY, buffer.viewportY + (harness.terminal?.rows ?? 0)) : [];
  },
  buffer: () => rows(harness.terminal, 0, Number.MAX_SAFE_INTEGER),
  cursor: () => ({
    row: harness.terminal?.buffer.active.cursorY ?? 0,
    column: harness.terminal?.buffer.active.cursorX ?? 0,
  }),
};
window.terminalHarness = harness;

const output = (data: string): void => harness.emit({ type: 'output', data, sequence: (sequence += 1) });
const prompt = (): void => harness.emit({ type: 'prompt', prompt: PROMPT });

function onInput(input: TerminalInput): void {
  harness.inputs.push(input);
  switch (input.type) {
    case 'submit': {
      const command = input.text.trim();
      if (command === 'sleep') sleeping = true;
      else if (command === 'read') {
        output('Name: ');
        harness.emit({ type: 'read-line', prompt: '', secret: false });
      } else {
        if (command !== '') output(`${input.text.replace(/\n/g, '\r\n')}\r\n`);
        prompt();
      }
      return;
    }
    case 'read-line':
      output(`Hello, ${input.text}\r\n`);
      prompt();
      return;
    case 'interrupt':
      if (sleeping) {
        sleeping = false;
        prompt();
      }
      return;
  }
}

async function complete(text: string, cursor: number): Promise<CompletionResult> {
  const word = /\S*$/.exec(text.slice(0, cursor))?.[0] ?? '';
  const matches = CMDLETS.filter((name) => name.toLowerCase().startsWith(word.toLowerCase())).map((name) => ({
    completionText: name,
    listItemText: name,
    resultType: 'Command' as const,
    toolTip: `${name} [[-Path] <string[]>]`,
  }));
  return { replacementIndex: cursor - word.length, replacementLength: word.length, matches };
}

function Harness() {
  useEffect(() => prompt(), []);
  return (
    <TerminalView
      events={events}
      onInput={onInput}
      complete={complete}
      onWritten={(event) => harness.written.push(event.sequence ?? 0)}
      onHistoryChange={(history) => harness.history.push([...history])}
      confirmPaste={async (text) => {
        harness.pastes.push(text);
        return harness.allowPaste;
      }}
      onResize={(size) => harness.resizes.push(size)}
      onOpenLink={(uri) => harness.links.push(uri)}
      writeClipboard={async (text) => {
        harness.copied.push(text);
      }}
      onError={(error) => harness.errors.push(String(error))}
      ariaLabel="PowerShell on harness"
      onReady={(terminal) => (harness.terminal = terminal)}
    />
  );
}

const container = document.getElementById('root');
if (!container) throw new Error('harness: #root is missing');
createRoot(container).render(
  <StrictMode>
    <Harness />
  </StrictMode>,
);
