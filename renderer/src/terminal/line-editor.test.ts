import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../../core/errors';
import type { CompletionResult } from './completion';
import type { EditorKey, NamedKey } from './keys';
import { LineEditor, type EditorIntent, type LineEditorOptions } from './line-editor';
import { VtScreen } from './test-support/vt-screen';
import { unicode11Width } from './unicode-width';

const width = unicode11Width();

const text = (value: string): EditorKey => ({ type: 'text', text: value });
const paste = (value: string): EditorKey => ({ type: 'paste', text: value });
const ctrl = (letter: string): EditorKey => ({ type: 'ctrl', letter });
const key = (name: NamedKey, modifiers: { ctrl?: boolean; shift?: boolean } = {}): EditorKey => ({
  type: 'key',
  key: name,
  ...modifiers,
});

interface Session {
  readonly editor: LineEditor;
  readonly screen: VtScreen;
  readonly intents: EditorIntent[];
  /** Every VT string the editor answered with, in order. */
  readonly outputs: string[];
  press(...keys: EditorKey[]): void;
}

function session(options: Partial<LineEditorOptions> & { rows?: number } = {}): Session {
  const columns = options.columns ?? 40;
  const editor = new LineEditor({ prompt: 'PS> ', width, ...options, columns });
  const screen = new VtScreen(columns, options.rows ?? 12, width);
  screen.write(' '.repeat(options.startColumn ?? 0) + editor.render());
  const intents: EditorIntent[] = [];
  const outputs: string[] = [];
  return {
    editor,
    screen,
    intents,
    outputs,
    press(...keys) {
      for (const pressed of keys) {
        const update = editor.handle(pressed);
        outputs.push(update.output);
        screen.write(update.output);
        intents.push(...update.intents);
      }
    },
  };
}

/** The screen an editor leaves after all its incremental updates equals a fresh drawing of its state. */
function expectSameAsFreshDrawing({ editor, screen }: Session, startColumn = 0): void {
  const fresh = new VtScreen(screen.columns, screen.height, width);
  fresh.write(' '.repeat(startColumn) + editor.render());
  expect(screen.lines()).toEqual(fresh.lines());
  expect(screen.cursor).toEqual(fresh.cursor);
  for (let row = 0; row < screen.height; row += 1) expect(screen.wrapped(row)).toBe(fresh.wrapped(row));
}

describe('typing and drawing', () => {
  it('draws the prompt, then echoes a typed character and nothing else', () => {
    const s = session();
    expect(s.screen.lines()[0]).toBe('PS>');
    expect(s.screen.cursor).toEqual({ row: 0, column: 4 });
    s.press(text('G'));
    expect(s.outputs).toEqual(['G']);
    s.press(text('et-Date'));
    expect(s.screen.lines()[0]).toBe('PS> Get-Date');
    expect(s.editor.text).toBe('Get-Date');
    expect(s.editor.cursor).toBe(8);
  });

  it('inserting in the middle rewrites only from the cursor on', () => {
    const s = session();
    s.press(text('Get-Date'), key('Home'), text('x'));
    expect(s.outputs.at(-1)).toBe('xGet-Date\x1b[6G');
    expect(s.screen.lines()[0]).toBe('PS> xGet-Date');
    expect(s.screen.cursor).toEqual({ row: 0, column: 5 });
  });

  it('wraps long input at the screen width and keeps the rows joined as one line', () => {
    const s = session({ columns: 10 });
    s.press(text('abcdefghijklmnop'));
    expect(s.screen.lines().slice(0, 3)).toEqual(['PS> abcdef', 'ghijklmnop', '']);
    expect(s.screen.cursor).toEqual({ row: 2, column: 0 });
    expect(s.screen.wrapped(1)).toBe(true);
    expect(s.screen.wrapped(2)).toBe(true);
    expect(s.screen.logicalLines()[0]).toBe('PS> abcdefghijklmnop');
    s.press(key('Backspace'));
    expect(s.screen.cursor).toEqual({ row: 1, column: 9 });
    expectSameAsFreshDrawing(s);
  });

  it('moves a wide character that does not fit in the last column to the next row, as xterm does', () => {
    const s = session({ columns: 10 });
    s.press(text('abcde日本'));
    // "PS> abcde" fills 9 columns; 日 needs 2, so the last column stays empty.
    expect(s.screen.lines().slice(0, 2)).toEqual(['PS> abcde', '日本']);
    expect(s.screen.cursor).toEqual({ row: 1, column: 4 });
    s.press(key('ArrowLeft'));
    expect(s.editor.cursor).toBe(6);
    expect(s.screen.cursor).toEqual({ row: 1, column: 2 });
    s.press(key('ArrowLeft'));
    expect(s.screen.cursor).toEqual({ row: 1, column: 0 });
    expectSameAsFreshDrawing(s);
  });

  it('moves over emoji, combining marks and ZWJ sequences as single characters', () => {
    const s = session();
    const family = '👨\u200d👩\u200d👧';
    s.press(text(`e\u0301${family}😀`));
    s.press(key('ArrowLeft'));
    expect(s.editor.cursor).toBe(2 + family.length);
    s.press(key('ArrowLeft'));
    expect(s.editor.cursor).toBe(2);
    s.press(key('Backspace'));
    expect(s.editor.text).toBe(`${family}😀`);
    s.press(key('Delete'));
    expect(s.editor.text).toBe('😀');
    expectSameAsFreshDrawing(s);
  });

  it('shows control characters as ^X and a tab as spaces', () => {
    const s = session();
    s.press(paste('a\tb\x01c'));
    expect(s.editor.text).toBe('a\tb\x01c');
    expect(s.screen.lines()[0]).toBe('PS> a    b^Ac');
  });

  it('keeps a prompt with colours and measures it without its escape sequences', () => {
    const s = session({ prompt: '\x1b[32mPS\x1b[0m C:\\> ', columns: 12 });
    s.press(text('abcdef'));
    expect(s.screen.lines().slice(0, 2)).toEqual(['PS C:\\> abcd', 'ef']);
    expectSameAsFreshDrawing(s);
  });
});

describe('editing keys', () => {
  const cases: { name: string; keys: EditorKey[]; text: string; cursor: number }[] = [
    { name: 'Backspace', keys: [key('Backspace')], text: 'Get-ChildItem -Pat', cursor: 18 },
    { name: 'Delete at the end', keys: [key('Delete')], text: 'Get-ChildItem -Path', cursor: 19 },
    { name: 'Home then Delete', keys: [key('Home'), key('Delete')], text: 'et-ChildItem -Path', cursor: 0 },
    { name: 'Left', keys: [key('ArrowLeft')], text: 'Get-ChildItem -Path', cursor: 18 },
    { name: 'Right at the end', keys: [key('ArrowRight')], text: 'Get-ChildItem -Path', cursor: 19 },
    { name: 'Ctrl+Left', keys: [key('ArrowLeft', { ctrl: true })], text: 'Get-ChildItem -Path', cursor: 15 },
    {
      name: 'Ctrl+Left twice',
      keys: [key('ArrowLeft', { ctrl: true }), key('ArrowLeft', { ctrl: true })],
      text: 'Get-ChildItem -Path',
      cursor: 14,
    },
    {
      name: 'Home, Ctrl+Right',
      keys: [key('Home'), key('ArrowRight', { ctrl: true })],
      text: 'Get-ChildItem -Path',
      cursor: 3,
    },
    { name: 'Ctrl+Backspace', keys: [key('Backspace', { ctrl: true })], text: 'Get-ChildItem -', cursor: 15 },
    {
      name: 'Home, Ctrl+Delete',
      keys: [key('Home'), key('Delete', { ctrl: true })],
      text: '-ChildItem -Path',
      cursor: 0,
    },
    { name: 'End after Home', keys: [key('Home'), key('End')], text: 'Get-ChildItem -Path', cursor: 19 },
    { name: 'Ctrl+A', keys: [ctrl('a')], text: 'Get-ChildItem -Path', cursor: 0 },
    { name: 'Ctrl+A, Ctrl+E', keys: [ctrl('a'), ctrl('e')], text: 'Get-ChildItem -Path', cursor: 19 },
    { name: 'Ctrl+W', keys: [ctrl('w')], text: 'Get-ChildItem ', cursor: 14 },
    { name: 'Ctrl+U', keys: [key('ArrowLeft', { ctrl: true }), ctrl('u')], text: 'Path', cursor: 0 },
    { name: 'Ctrl+K', keys: [ctrl('a'), key('ArrowRight', { ctrl: true }), ctrl('k')], text: 'Get', cursor: 3 },
    { name: 'Ctrl+W, Ctrl+Y', keys: [ctrl('w'), ctrl('a'), ctrl('y')], text: '-PathGet-ChildItem ', cursor: 5 },
    { name: 'Escape', keys: [key('Escape')], text: '', cursor: 0 },
  ];
  for (const { name, keys, text: expectedText, cursor } of cases) {
    it(name, () => {
      const s = session();
      s.press(text('Get-ChildItem -Path'), ...keys);
      expect(s.editor.text).toBe(expectedText);
      expect(s.editor.cursor).toBe(cursor);
      expectSameAsFreshDrawing(s);
    });
  }

  it('Ctrl+C abandons the line with a cancel intent, and the editor takes no more keys', () => {
    const s = session();
    s.press(text('Start-Sleep'), ctrl('c'));
    expect(s.intents).toEqual([{ type: 'cancel' }]);
    expect(s.editor.state).toBe('done');
    expect(() => s.editor.handle(text('x'))).toThrow(InvalidStateError);
    expect(s.editor.committed('^C')).toBe('PS> Start-Sleep^C');
  });

  it('Ctrl+L asks for a cleared screen', () => {
    const s = session();
    s.press(ctrl('l'));
    expect(s.intents).toEqual([{ type: 'clear-screen' }]);
  });

  it('Enter submits a finished line and adds it to the history', () => {
    const s = session({ history: ['dir'] });
    s.press(text('Get-Date'), key('Enter'));
    expect(s.intents).toEqual([{ type: 'submit', text: 'Get-Date', history: ['dir', 'Get-Date'] }]);
    expect(s.editor.state).toBe('done');
    expect(s.outputs.at(-1)).toBe('');
  });
});

describe('multi-line input', () => {
  it('Shift+Enter inserts a line break shown with a >> continuation prompt', () => {
    const s = session();
    s.press(text('Get-Process |'), key('Enter', { shift: true }), text('Select -First 1'));
    expect(s.editor.text).toBe('Get-Process |\nSelect -First 1');
    expect(s.screen.lines().slice(0, 2)).toEqual(['PS> Get-Process |', '>> Select -First 1']);
    expect(s.intents).toEqual([]);
  });

  it('Enter on an unfinished block continues it; on the finished block it submits all lines', () => {
    const s = session();
    s.press(text('if ($true) {'), key('Enter'), text('  1'), key('Enter'));
    expect(s.screen.lines().slice(0, 3)).toEqual(['PS> if ($true) {', '>>   1', '>>']);
    expect(s.intents).toEqual([]);
    s.press(text('}'), key('Enter'));
    expect(s.intents).toEqual([{ type: 'submit', text: 'if ($true) {\n  1\n}', history: ['if ($true) {\n  1\n}'] }]);
  });

  it('Enter in the middle of an unfinished block continues at its end', () => {
    const s = session();
    s.press(text('"abc'), key('Home'), key('Enter'));
    expect(s.editor.text).toBe('"abc\n');
    expect(s.editor.cursor).toBe(5);
  });

  it('Up and Down move between the lines before reaching the history', () => {
    const s = session({ history: ['older'] });
    s.press(text('first'), key('Enter', { shift: true }), text('second line'));
    s.press(key('ArrowUp'));
    expect(s.editor.cursor).toBe(5);
    expect(s.screen.cursor).toEqual({ row: 0, column: 9 });
    s.press(key('ArrowDown'));
    expect(s.editor.cursor).toBe(11);
    s.press(key('ArrowUp'), key('ArrowUp'));
    expect(s.editor.text).toBe('older');
    expectSameAsFreshDrawing(s);
  });

  it('Home and End act on the current line first, then on the whole input', () => {
    const s = session();
    s.press(text('one'), key('Enter', { shift: true }), text('two'), key('Home'));
    expect(s.editor.cursor).toBe(4);
    s.press(key('Home'));
    expect(s.editor.cursor).toBe(0);
    s.press(key('End'));
    expect(s.editor.cursor).toBe(3);
    s.press(key('End'));
    expect(s.editor.cursor).toBe(7);
  });

  it('a pasted script keeps its lines', () => {
    const s = session();
    s.press(paste('$a = 1\r\n$b = 2\r\n'));
    expect(s.editor.text).toBe('$a = 1\n$b = 2\n');
    expect(s.screen.lines().slice(0, 3)).toEqual(['PS> $a = 1', '>> $b = 2', '>>']);
  });
});

describe('history', () => {
  const history = ['Get-Date', 'Get-Process', 'dir C:\\'];

  it('Up recalls older entries, Down newer ones, and the line being typed comes back', () => {
    const s = session({ history });
    s.press(text('draft'), key('ArrowUp'));
    expect(s.editor.text).toBe('dir C:\\');
    s.press(key('ArrowUp'), key('ArrowUp'), key('ArrowUp'));
    expect(s.editor.text).toBe('Get-Date');
    s.press(key('ArrowDown'));
    expect(s.editor.text).toBe('Get-Process');
    s.press(key('ArrowDown'), key('ArrowDown'));
    expect(s.editor.text).toBe('draft');
    expect(s.editor.cursor).toBe(5);
    s.press(key('ArrowDown'));
    expect(s.editor.text).toBe('draft');
    expectSameAsFreshDrawing(s);
  });

  it('submitting a repeat of the newest entry does not add it again; the list is capped', () => {
    const s = session({ history, maxHistory: 3 });
    s.press(key('ArrowUp'), key('Enter'));
    expect(s.intents).toEqual([{ type: 'submit', text: 'dir C:\\', history }]);
    const t = session({ history, maxHistory: 3 });
    t.press(text('Get-Service'), key('Enter'));
    expect(t.intents).toEqual([
      { type: 'submit', text: 'Get-Service', history: ['Get-Process', 'dir C:\\', 'Get-Service'] },
    ]);
  });

  it('blank lines are run but not remembered', () => {
    const s = session({ history });
    s.press(text('  '), key('Enter'));
    expect(s.intents).toEqual([{ type: 'submit', text: '  ', history }]);
  });

  it('Read-Host lines neither use nor change the history', () => {
    const s = session({ history, mode: 'line', prompt: '' });
    s.press(key('ArrowUp'));
    expect(s.editor.text).toBe('');
    s.press(text('yes'), key('Enter'));
    expect(s.intents).toEqual([{ type: 'submit', text: 'yes', history: [] }]);
  });
});

describe('Ctrl+R reverse history search', () => {
  const history = ['Get-ChildItem C:\\', 'Set-Location D:\\', 'Get-Process pwsh', 'get-date'];

  it('finds the newest entry containing the query, case-insensitively, and shows the search line', () => {
    const s = session({ history });
    s.press(ctrl('r'), text('get'));
    expect(s.editor.searchQuery).toBe('get');
    expect(s.screen.lines().slice(0, 2)).toEqual(['PS> get-date', 'bck-i-search: get']);
    expect(s.screen.cursor).toEqual({ row: 1, column: 17 });
    expect(s.screen.inverseAt(0, 4)).toBe(true);
    expect(s.screen.inverseAt(0, 7)).toBe(false);
    s.press(text('-p'));
    expect(s.screen.lines()[0]).toBe('PS> Get-Process pwsh');
  });

  it('Ctrl+R again goes to older matches; Ctrl+S back to newer ones', () => {
    const s = session({ history });
    s.press(ctrl('r'), text('Get'), ctrl('r'));
    expect(s.screen.lines()[0]).toBe('PS> Get-Process pwsh');
    s.press(ctrl('r'));
    expect(s.screen.lines()[0]).toBe('PS> Get-ChildItem C:\\');
    s.press(ctrl('r'));
    expect(s.screen.lines().slice(0, 2)).toEqual(['PS> Get-ChildItem C:\\', 'failing bck-i-search: Get']);
    s.press(ctrl('s'));
    expect(s.screen.lines()[0]).toBe('PS> Get-Process pwsh');
  });

  it('Backspace shortens the query and searches again from the newest entry', () => {
    const s = session({ history });
    s.press(ctrl('r'), text('Set'), key('Backspace'), key('Backspace'));
    expect(s.editor.searchQuery).toBe('S');
    expect(s.screen.lines()[0]).toBe('PS> Get-Process pwsh');
  });

  it('Enter runs the match', () => {
    const s = session({ history });
    s.press(ctrl('r'), text('loc'), key('Enter'));
    expect(s.intents).toEqual([
      { type: 'submit', text: 'Set-Location D:\\', history: [...history, 'Set-Location D:\\'] },
    ]);
  });

  it('Escape keeps the match to edit; Ctrl+G restores the line', () => {
    const s = session({ history });
    s.press(text('draft'), ctrl('r'), text('loc'), key('Escape'));
    expect(s.editor.searchQuery).toBeUndefined();
    expect(s.editor.text).toBe('Set-Location D:\\');
    expect(s.editor.cursor).toBe(4);
    expect(s.screen.lines().slice(0, 2)).toEqual(['PS> Set-Location D:\\', '']);
    const t = session({ history });
    t.press(text('draft'), ctrl('r'), text('loc'), ctrl('g'));
    expect(t.editor.text).toBe('draft');
    expectSameAsFreshDrawing(t);
  });

  it('an editing key ends the search on the match and then acts', () => {
    const s = session({ history });
    s.press(ctrl('r'), text('date'), key('End'), text(' -UFormat %s'));
    expect(s.editor.text).toBe('get-date -UFormat %s');
    expectSameAsFreshDrawing(s);
  });
});

describe('Tab completion', () => {
  const single: CompletionResult = {
    replacementIndex: 0,
    replacementLength: 10,
    matches: [{ completionText: 'Get-ChildItem', listItemText: 'Get-ChildItem', resultType: 'Command', toolTip: '' }],
  };
  const several: CompletionResult = {
    replacementIndex: 4,
    replacementLength: 2,
    matches: ['-Path', '-PipelineVariable', '-ProgressAction'].map((name) => ({
      completionText: name,
      listItemText: name.slice(1),
      resultType: 'ParameterName' as const,
      toolTip: `[string] ${name.slice(1)}`,
    })),
  };

  it('Tab asks for completions at the cursor; one match replaces the range', () => {
    const s = session();
    s.press(text('Get-ChildI'), key('Tab'));
    expect(s.intents).toEqual([{ type: 'complete', text: 'Get-ChildI', cursor: 10 }]);
    const update = s.editor.applyCompletion({ text: 'Get-ChildI', cursor: 10 }, single);
    s.screen.write(update.output);
    expect(s.editor.text).toBe('Get-ChildItem');
    expect(s.screen.lines()[0]).toBe('PS> Get-ChildItem');
    expect(s.screen.cursor).toEqual({ row: 0, column: 17 });
  });

  it('several matches cycle with Tab and Shift+Tab under a list, and another key accepts', () => {
    const s = session();
    s.press(text('dir -P'), key('Tab'));
    s.screen.write(s.editor.applyCompletion({ text: 'dir -P', cursor: 6 }, several).output);
    expect(s.editor.text).toBe('dir -Path');
    expect(s.editor.state).toBe('completing');
    // Filled column by column, as PSReadLine's menu is.
    expect(s.screen.lines().slice(0, 4)).toEqual([
      'PS> dir -Path',
      'Path              ProgressAction',
      'PipelineVariable',
      '[string] Path',
    ]);
    expect(s.screen.inverseAt(1, 0)).toBe(true);
    expect(s.screen.cursor).toEqual({ row: 0, column: 13 });
    s.press(key('Tab'));
    expect(s.editor.text).toBe('dir -PipelineVariable');
    expect(s.screen.inverseAt(1, 0)).toBe(false);
    expect(s.screen.inverseAt(2, 0)).toBe(true);
    expect(s.screen.lines()[3]).toBe('[string] PipelineVariable');
    s.press(key('Tab', { shift: true }), key('Tab', { shift: true }));
    expect(s.editor.text).toBe('dir -ProgressAction');
    s.press(text(' x'));
    expect(s.editor.text).toBe('dir -ProgressAction x');
    expect(s.editor.state).toBe('editing');
    expect(s.screen.lines().slice(0, 4)).toEqual(['PS> dir -ProgressAction x', '', '', '']);
    expectSameAsFreshDrawing(s);
  });

  it('Escape while cycling restores the text as typed', () => {
    const s = session();
    s.press(text('dir -P'), key('Tab'));
    s.screen.write(s.editor.applyCompletion({ text: 'dir -P', cursor: 6 }, several).output);
    s.press(key('Tab'), key('Escape'));
    expect(s.editor.text).toBe('dir -P');
    expect(s.editor.cursor).toBe(6);
    expectSameAsFreshDrawing(s);
  });

  it('ignores an answer that arrives after the line changed, and an empty one', () => {
    const s = session();
    s.press(text('Get-ChildI'), key('Tab'), text('t'));
    expect(s.editor.applyCompletion({ text: 'Get-ChildI', cursor: 10 }, single)).toEqual({ output: '', intents: [] });
    expect(s.editor.text).toBe('Get-ChildIt');
    s.press(key('Tab'));
    expect(s.editor.applyCompletion({ text: 'Get-ChildIt', cursor: 11 }, { ...single, matches: [] }).output).toBe('');
  });

  it('Read-Host lines do not complete', () => {
    const s = session({ mode: 'line' });
    s.press(text('a'), key('Tab'));
    expect(s.intents).toEqual([]);
  });
});

describe('Read-Host modes', () => {
  it('a secret is shown as one * per character and committed the same way', () => {
    const s = session({ mode: 'secret', prompt: 'Password: ' });
    s.press(text('pä😀'));
    expect(s.screen.lines()[0]).toBe('Password: ***');
    s.press(key('Enter'));
    expect(s.intents).toEqual([{ type: 'submit', text: 'pä😀', history: [] }]);
    expect(s.editor.committed()).toBe('Password: ***');
  });

  it('a line answer takes the first line of a paste and submits on Shift+Enter too', () => {
    const s = session({ mode: 'line', prompt: '' });
    s.press(paste('first\nsecond'), key('Enter', { shift: true }));
    expect(s.intents).toEqual([{ type: 'submit', text: 'first', history: [] }]);
  });

  it('starts at the column its question ended', () => {
    const editor = new LineEditor({ prompt: '', mode: 'line', columns: 20, width, startColumn: 6 });
    const screen = new VtScreen(20, 4, width);
    screen.write('Name: ');
    screen.write(editor.render());
    screen.write(editor.handle(text('Alice')).output);
    expect(screen.lines()[0]).toBe('Name: Alice');
    expect(editor.committed()).toBe('Alice');
  });
});

describe('incremental drawing matches a fresh drawing (property)', () => {
  const printable = fc.constantFrom('a', 'Z', ' ', '-', '$', '{', '"', '日', '😀', 'e\u0301', '\t', 'abc def');
  const editorKey: fc.Arbitrary<EditorKey> = fc.oneof(
    printable.map(text),
    fc
      .constantFrom<NamedKey>('Backspace', 'Delete', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End')
      .chain((name) => fc.boolean().map((withCtrl) => key(name, withCtrl ? { ctrl: true } : {}))),
    fc.constant(key('Enter', { shift: true })),
    fc.constant(key('Escape')),
    fc.constantFrom('a', 'e', 'u', 'k', 'w', 'y', 'r', 'g').map(ctrl),
    fc.constant(paste('line one\nline 二')),
  );

  it('for any keys, widths and start columns', () => {
    fc.assert(
      fc.property(
        fc.array(editorKey, { maxLength: 40 }),
        fc.integer({ min: 4, max: 24 }),
        fc.integer({ min: 0, max: 3 }),
        (keys, columns, startColumn) => {
          const s = session({
            columns,
            rows: 40,
            startColumn,
            history: ['Get-Date', 'a very long history entry that wraps', 'x\ny'],
          });
          s.press(...keys);
          expectSameAsFreshDrawing(s, startColumn);
        },
      ),
      { numRuns: 300 },
    );
  });
});
