import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../../core/errors';
import type { EditorKey } from './keys';
import type { ProgressRecord } from './progress';
import { TerminalController, type ControllerUpdate, type TerminalIntent } from './terminal-controller';
import { VtScreen } from './test-support/vt-screen';
import { unicode11Width } from './unicode-width';

const width = unicode11Width();
const PROMPT = 'PS C:\\> ';

const text = (value: string): EditorKey => ({ type: 'text', text: value });
const enter: EditorKey = { type: 'key', key: 'Enter' };
const ctrlC: EditorKey = { type: 'ctrl', letter: 'c' };

function progress(activityId: number, fields: Partial<ProgressRecord> = {}): ProgressRecord {
  return {
    activity: `Step ${activityId}`,
    activityId,
    statusDescription: 'working',
    currentOperation: null,
    parentActivityId: -1,
    percentComplete: 50,
    secondsRemaining: -1,
    recordType: 'Processing',
    ...fields,
  };
}

/** A controller driving a model screen the way the terminal view drives xterm. */
function terminal(columns = 30, rows = 8) {
  const screen = new VtScreen(columns, rows, width);
  const controller = new TerminalController({ columns, rows, width, history: ['Get-Date'] });
  const intents: TerminalIntent[] = [];
  const apply = (update: ControllerUpdate | string): void => {
    if (typeof update === 'string') screen.write(update);
    else {
      screen.write(update.write);
      intents.push(...update.intents);
    }
  };
  return {
    screen,
    controller,
    intents,
    output(data: string): void {
      screen.write(controller.detach() + data);
      screen.write(controller.attach(screen.x));
    },
    prompt(prompt = PROMPT): void {
      apply(controller.showPrompt(prompt, screen.x));
    },
    press(...keys: EditorKey[]): void {
      for (const key of keys) apply(controller.key(key));
    },
    progress(record: ProgressRecord, source = 1n): void {
      apply(controller.updateProgress(source, record, screen.x));
    },
    /** Lines on screen and in the scrollback, blank ones at the end removed. */
    everything(): string[] {
      const lines = screen.allLines();
      while (lines.at(-1) === '') lines.pop();
      return lines;
    },
  };
}

describe('prompt, command, output', () => {
  it('runs a command: the typed line stays, output follows, the next prompt comes after it', () => {
    const t = terminal();
    t.prompt();
    expect(t.controller.mode).toBe('prompting');
    t.press(text('echo hello'), enter);
    expect(t.intents).toEqual([{ type: 'submit', text: 'echo hello', history: ['Get-Date', 'echo hello'] }]);
    expect(t.controller.mode).toBe('running');
    expect(t.controller.history).toEqual(['Get-Date', 'echo hello']);
    t.output('hello\r\n');
    t.prompt();
    expect(t.everything()).toEqual(['PS C:\\> echo hello', 'hello', 'PS C:\\>']);
    expect(t.screen.cursor).toEqual({ row: 2, column: 8 });
  });

  it('starts the prompt on a fresh row when output ended without a line break', () => {
    const t = terminal();
    t.output('no newline');
    t.prompt();
    expect(t.everything()).toEqual(['no newline', 'PS C:\\>']);
  });

  it('Up at the new prompt recalls the command just run', () => {
    const t = terminal();
    t.prompt();
    t.press(text('Get-Service'), enter);
    t.prompt();
    t.press({ type: 'key', key: 'ArrowUp' });
    expect(t.screen.lines()[1]).toBe('PS C:\\> Get-Service');
  });

  it('Ctrl+C at the prompt leaves the line with ^C and starts a fresh prompt, running nothing', () => {
    const t = terminal();
    t.prompt();
    t.press(text('Remove-Item x'), ctrlC);
    expect(t.intents).toEqual([]);
    expect(t.controller.mode).toBe('prompting');
    expect(t.everything()).toEqual(['PS C:\\> Remove-Item x^C', 'PS C:\\>']);
    expect(t.screen.cursor).toEqual({ row: 1, column: 8 });
  });

  it('Ctrl+C while a pipeline runs asks to stop it', () => {
    const t = terminal();
    t.prompt();
    t.press(text('Start-Sleep 600'), enter, ctrlC);
    expect(t.intents.at(-1)).toEqual({ type: 'interrupt' });
  });

  it('keys typed while a pipeline runs are replayed into the next prompt, Ctrl+C drops them', () => {
    const t = terminal();
    t.prompt();
    t.press(text('first'), enter, text('second'), enter, text('thi'));
    t.output('1\r\n');
    t.prompt();
    expect(t.intents.map((intent) => intent.type === 'submit' && intent.text)).toEqual(['first', 'second']);
    t.output('2\r\n');
    t.prompt();
    expect(t.everything()).toEqual(['PS C:\\> first', '1', 'PS C:\\> second', '2', 'PS C:\\> thi']);
    t.press(enter, text('lost'), ctrlC);
    t.prompt();
    expect(t.controller.editor?.text).toBe('');
  });

  it('Ctrl+L clears the screen and keeps the line being typed at the top', () => {
    const t = terminal();
    t.output('old output\r\n');
    t.prompt();
    t.press(text('dir'), { type: 'ctrl', letter: 'l' });
    expect(t.screen.lines()[0]).toBe('PS C:\\> dir');
    expect(t.screen.cursor).toEqual({ row: 0, column: 11 });
  });

  it('Clear-Host erases screen and scrollback', () => {
    const t = terminal(20, 3);
    for (let line = 0; line < 6; line += 1) t.output(`line ${line}\r\n`);
    t.screen.write(t.controller.clearScreen());
    t.prompt();
    expect(t.everything()).toEqual(['PS C:\\>']);
  });

  it('a cmd shell runs what PowerShell would continue', () => {
    const screen = new VtScreen(30, 4, width);
    const controller = new TerminalController({ columns: 30, rows: 4, width, shell: 'cmd' });
    screen.write(controller.showPrompt('C:\\> ', 0).write);
    controller.key(text('echo ('));
    expect(controller.key(enter).intents).toEqual([{ type: 'submit', text: 'echo (', history: ['echo ('] }]);
    const powershell = terminal();
    powershell.prompt();
    powershell.press(text('echo ('), enter);
    expect(powershell.intents).toEqual([]);
  });

  it('refuses a Read-Host while the prompt is shown', () => {
    const t = terminal();
    t.prompt();
    expect(() => t.controller.readLine('', false, 0)).toThrow(InvalidStateError);
  });
});

describe('progress bars in the live region', () => {
  it('draws bars below the output while a pipeline runs and keeps them out of the scrollback', () => {
    const t = terminal(30, 5);
    t.prompt();
    t.press(text('copy'), enter);
    t.progress(progress(1, { activity: 'Copying' }));
    expect(t.screen.lines()[1]).toMatch(/^Copying \[working/);
    expect(t.screen.cursor).toEqual({ row: 1, column: 0 });
    for (let line = 0; line < 8; line += 1) t.output(`file ${line}\r\n`);
    const all = t.everything();
    expect(all.filter((line) => line.startsWith('Copying'))).toHaveLength(1);
    expect(all.at(-1)).toMatch(/^Copying \[/);
    expect(all.slice(0, -1)).toEqual(['PS C:\\> copy', ...Array.from({ length: 8 }, (_, line) => `file ${line}`)]);
    t.progress(progress(1, { recordType: 'Completed' }));
    expect(t.everything().some((line) => line.includes('['))).toBe(false);
  });

  it('nests a child bar under its parent and redraws them in place', () => {
    const t = terminal(40, 8);
    t.output('start\r\n');
    t.progress(progress(1, { activity: 'Outer' }));
    t.progress(progress(2, { activity: 'Inner', parentActivityId: 1 }));
    t.progress(progress(2, { activity: 'Inner', parentActivityId: 1, statusDescription: 'almost' }));
    expect(t.screen.lines().slice(0, 4)).toEqual([
      'start',
      expect.stringMatching(/^Outer \[working +\]$/),
      expect.stringMatching(/^ {2}Inner \[almost +\]$/),
      '',
    ]);
  });

  it('lets output continue a line the bars interrupted', () => {
    const t = terminal(40, 8);
    t.output('partial');
    t.progress(progress(1));
    expect(t.screen.lines().slice(0, 2)).toEqual(['partial', expect.stringMatching(/^Step 1 \[/)]);
    t.output(' line\r\n');
    expect(t.screen.lines().slice(0, 2)).toEqual(['partial line', expect.stringMatching(/^Step 1 \[/)]);
  });

  it('copes with output that filled its last row exactly', () => {
    const t = terminal(10, 6);
    t.output('0123456789');
    t.progress(progress(1, { activity: 'A' }));
    t.output('next\r\n');
    expect(t.screen.lines().slice(0, 3)).toEqual(['0123456789', 'next', expect.stringMatching(/^A \[/)]);
  });

  it('draws bars above the prompt, keeping the typed line and cursor', () => {
    const t = terminal(40, 8);
    t.prompt();
    t.press(text('Get-Ch'), { type: 'key', key: 'ArrowLeft' });
    t.progress(progress(1, { activity: 'Background' }));
    expect(t.screen.lines().slice(0, 2)).toEqual([expect.stringMatching(/^Background \[/), 'PS C:\\> Get-Ch']);
    expect(t.screen.cursor).toEqual({ row: 1, column: 13 });
    t.press(text('X'));
    expect(t.screen.lines()[1]).toBe('PS C:\\> Get-CXh');
    t.progress(progress(1, { recordType: 'Completed' }));
    expect(t.screen.lines().slice(0, 2)).toEqual(['PS C:\\> Get-CXh', '']);
    expect(t.screen.cursor).toEqual({ row: 0, column: 14 });
  });

  it('a new prompt clears what the finished pipeline left', () => {
    const t = terminal(40, 8);
    t.prompt();
    t.press(text('job'), enter);
    t.progress(progress(1));
    t.prompt();
    expect(t.everything()).toEqual(['PS C:\\> job', 'PS C:\\>']);
  });

  it('commits the typed line above the bars', () => {
    const t = terminal(40, 8);
    t.prompt();
    t.progress(progress(1));
    t.press(text('ls'), enter);
    expect(t.screen.lines().slice(0, 3)).toEqual(['PS C:\\> ls', expect.stringMatching(/^Step 1 \[/), '']);
  });
});

describe('Read-Host', () => {
  it('reads an answer on the row of its question and hands it to the pipeline', () => {
    const t = terminal();
    t.prompt();
    t.press(text('Read-Host Name'), enter);
    t.output('Name: ');
    t.screen.write(t.controller.readLine('', false, t.screen.x));
    expect(t.controller.mode).toBe('reading');
    t.press(text('Bob'), enter);
    expect(t.intents.at(-1)).toEqual({ type: 'read-line', text: 'Bob' });
    expect(t.controller.mode).toBe('running');
    t.output('Bob\r\n');
    t.prompt();
    expect(t.everything()).toEqual(['PS C:\\> Read-Host Name', 'Name: Bob', 'Bob', 'PS C:\\>']);
  });

  it('masks a secure answer and does not remember it', () => {
    const t = terminal(40);
    t.prompt();
    t.press(text('Read-Host -AsSecureString'), enter);
    t.screen.write(t.controller.readLine('Password: ', true, t.screen.x));
    t.press(text('s3cret'), enter);
    expect(t.intents.at(-1)).toEqual({ type: 'read-line', text: 's3cret' });
    expect(t.everything()).toEqual(['PS C:\\> Read-Host -AsSecureString', 'Password: ******']);
    expect(t.controller.history).toEqual(['Get-Date', 'Read-Host -AsSecureString']);
  });

  it('Ctrl+C in a Read-Host stops the pipeline', () => {
    const t = terminal();
    t.prompt();
    t.press(text('Read-Host'), enter);
    t.screen.write(t.controller.readLine('', false, t.screen.x));
    t.press(text('ab'), ctrlC);
    expect(t.intents.at(-1)).toEqual({ type: 'interrupt' });
    expect(t.controller.mode).toBe('running');
    expect(t.everything()).toEqual(['PS C:\\> Read-Host', 'ab^C']);
  });
});

describe('completion and resize', () => {
  it('applies the completion answer to the line on screen', () => {
    const t = terminal();
    t.prompt();
    t.press(text('Get-ChildI'), { type: 'key', key: 'Tab' });
    expect(t.intents).toEqual([{ type: 'complete', text: 'Get-ChildI', cursor: 10 }]);
    t.screen.write(
      t.controller.completion(
        { text: 'Get-ChildI', cursor: 10 },
        {
          replacementIndex: 0,
          replacementLength: 10,
          matches: [
            { completionText: 'Get-ChildItem', listItemText: 'Get-ChildItem', resultType: 'Command', toolTip: '' },
          ],
        },
      ),
    );
    expect(t.screen.lines()[0]).toBe('PS C:\\> Get-ChildItem');
  });

  it('redraws the live region for a new width between detach and attach', () => {
    const t = terminal(40, 8);
    t.prompt();
    t.progress(progress(1, { activity: 'Wide' }));
    t.press(text('0123456789012345678901234567890'));
    t.screen.write(t.controller.detach());
    expect(t.everything()).toEqual([]);
    // The model screen does not reflow; a fresh one of the new width stands in for xterm after its resize.
    const narrow = new VtScreen(20, 8, width);
    t.controller.resize(20, 8);
    narrow.write(t.controller.attach(0));
    expect(narrow.lines().slice(0, 4)).toEqual([
      expect.stringMatching(/^Wide \[/),
      'PS C:\\> 012345678901',
      '2345678901234567890',
      '',
    ]);
  });
});

describe('the live region (property)', () => {
  type Step =
    | { readonly kind: 'output'; readonly text: string }
    | { readonly kind: 'progress'; readonly id: number; readonly parent: number; readonly completed: boolean }
    | { readonly kind: 'key'; readonly text: string };

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc
      .array(fc.constantFrom('a', 'bc ', '日本', '\r\n', 'xyz0123456789'), { maxLength: 6 })
      .map((parts) => ({ kind: 'output' as const, text: parts.join('') })),
    fc.record({
      kind: fc.constant('progress' as const),
      id: fc.integer({ min: 1, max: 3 }),
      parent: fc.integer({ min: -1, max: 3 }),
      completed: fc.boolean(),
    }),
    fc.constantFrom('q', '日').map((text) => ({ kind: 'key' as const, text })),
  );

  it('bars never reach the scrollback, and once completed nothing of them is left', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 30 }),
        fc.integer({ min: 12, max: 40 }),
        fc.integer({ min: 4, max: 10 }),
        fc.boolean(),
        (steps, columns, rows, reading) => {
          const t = terminal(columns, rows);
          t.prompt('> ');
          t.press(text('run'), enter);
          if (reading) t.screen.write(t.controller.readLine('? ', false, t.screen.x));
          for (const s of steps) {
            if (s.kind === 'output') t.output(s.text);
            else if (s.kind === 'key') t.press(text(s.text));
            else
              t.progress(
                progress(s.id, { parentActivityId: s.parent, recordType: s.completed ? 'Completed' : 'Processing' }),
              );
            // Bars are the only text with '['; they live on screen only.
            expect(t.screen.scrollback.some((row) => row.cells.includes('['))).toBe(false);
          }
          for (const id of [1, 2, 3]) t.progress(progress(id, { recordType: 'Completed' }));
          expect(t.everything().some((line) => line.includes('['))).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
