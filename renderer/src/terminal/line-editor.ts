import { StateMachine, type TransitionTable } from '../../../core/state-machine';
import {
  applyCompletionMatch,
  CompletionCycle,
  completionMenuLines,
  type CompletionResult,
  type EditedText,
} from './completion';
import { addToHistory, DEFAULT_MAX_HISTORY, searchHistory, type HistoryMatch } from './history';
import type { EditorKey } from './keys';
import { placeUnits, positionOfOffset, renderFrame, type DisplayUnit, type Frame } from './line-layout';
import { isIncompleteInput } from './powershell-input';
import type { CodePointWidth } from './text-width';
import { textWidth, truncateToWidth } from './text-width';
import {
  lineEnd,
  lineStart,
  nextGrapheme,
  nextWordStart,
  previousGrapheme,
  previousWhitespaceWordStart,
  previousWordStart,
  verticalMove,
} from './text-navigation';
import { escapeSequenceLength, SGR_INVERSE, SGR_INVERSE_OFF, SGR_RESET } from './vt';

/**
 * The input line of the terminal, PSReadLine-like: a state machine fed normalized keys that keeps the
 * text and cursor, answers each key with the minimal VT output that redraws the prompt lines, and
 * reports intents (run this text, complete at this cursor, cancel). One editor serves one prompt: it
 * ends when the line is submitted or cancelled.
 *
 * Modes: `command` is a PowerShell prompt (history, Ctrl+R, Tab completion, multi-line input); `line`
 * answers Read-Host; `secret` answers Read-Host -AsSecureString and shows `*` per character.
 */

export type LineEditorMode = 'command' | 'line' | 'secret';

export interface LineEditorOptions {
  /** Written before the input; may carry SGR colours. */
  readonly prompt: string;
  readonly columns: number;
  readonly width: CodePointWidth;
  readonly mode?: LineEditorMode;
  /** Previous commands, oldest first (command mode). */
  readonly history?: readonly string[];
  readonly maxHistory?: number;
  /** Column of the first row the prompt starts at (a Read-Host answer follows its question). */
  readonly startColumn?: number;
  /** Rows of the completion list at most. */
  readonly maxMenuRows?: number;
  /** Whether Enter should continue the input on a new line instead of running it; PowerShell's rules by default. */
  readonly unfinished?: (text: string) => boolean;
}

export type EditorIntent =
  /** Run (or answer with) `text`; `history` is the history with it added. */
  | { readonly type: 'submit'; readonly text: string; readonly history: readonly string[] }
  /** Ask TabExpansion2 to complete `text` at `cursor`; answer with `applyCompletion`. */
  | { readonly type: 'complete'; readonly text: string; readonly cursor: number }
  /** Ctrl+C: the line is abandoned. */
  | { readonly type: 'cancel' }
  /** Ctrl+L: the screen should be cleared and the prompt drawn again at the top. */
  | { readonly type: 'clear-screen' };

export interface EditorUpdate {
  /** VT text that brings the screen up to date, written where the editor left the cursor. */
  readonly output: string;
  readonly intents: readonly EditorIntent[];
}

export const CONTINUATION_PROMPT = '>> ';
const SEARCH_LABEL = 'bck-i-search: ';
const FAILED_SEARCH_LABEL = 'failing bck-i-search: ';
/** The spaces a tab character is shown as. */
const TAB_DISPLAY = '    ';
/** A display unit carrying this offset marks the cursor in the search line below the input. */
const SEARCH_CURSOR = -1;

type EditorState = 'editing' | 'searching' | 'completing' | 'done';
type EditorAction = 'key' | 'search' | 'cycle' | 'edit' | 'finish';

const transitions: TransitionTable<EditorState, EditorAction> = {
  key: { from: ['editing', 'searching', 'completing'], to: undefined },
  search: { from: ['editing', 'searching'], to: 'searching' },
  cycle: { from: ['editing', 'completing'], to: 'completing' },
  edit: { from: ['editing', 'searching', 'completing'], to: 'editing' },
  finish: { from: ['editing', 'searching', 'completing'], to: 'done' },
};

interface Search {
  readonly query: string;
  readonly match: HistoryMatch | undefined;
  readonly failed: boolean;
  readonly original: EditedText;
}

const NO_UPDATE: EditorUpdate = { output: '', intents: [] };

export class LineEditor {
  readonly mode: LineEditorMode;
  readonly #machine = new StateMachine<EditorState, EditorAction>('line editor', transitions, 'editing');
  readonly #prompt: string;
  readonly #width: CodePointWidth;
  readonly #maxHistory: number;
  readonly #maxMenuRows: number;
  readonly #unfinished: (text: string) => boolean;
  #columns: number;
  #startColumn: number;
  #text = '';
  #cursor = 0;
  #history: readonly string[];
  /** Position in the history: `history.length` is the line being typed. */
  #historyIndex: number;
  /** The line being typed, kept while older entries are shown. */
  #stash: EditedText | undefined;
  #killed = '';
  #search: Search | undefined;
  #cycle: CompletionCycle | undefined;
  #completionRequest: EditedText | undefined;
  /** What is on screen; undefined until drawn. */
  #frame: Frame | undefined;

  constructor(options: LineEditorOptions) {
    this.mode = options.mode ?? 'command';
    this.#prompt = options.prompt;
    this.#width = options.width;
    this.#columns = options.columns;
    this.#startColumn = options.startColumn ?? 0;
    this.#maxHistory = options.maxHistory ?? DEFAULT_MAX_HISTORY;
    this.#maxMenuRows = options.maxMenuRows ?? 10;
    this.#unfinished = options.unfinished ?? isIncompleteInput;
    this.#history = this.mode === 'command' ? (options.history ?? []) : [];
    this.#historyIndex = this.#history.length;
  }

  get state(): EditorState {
    return this.#machine.state;
  }

  get text(): string {
    return this.#text;
  }

  get cursor(): number {
    return this.#cursor;
  }

  get history(): readonly string[] {
    return this.#history;
  }

  /** The text shown while Ctrl+R searches, else undefined. */
  get searchQuery(): string | undefined {
    return this.#search?.query;
  }

  /** Row of the cursor below the row the editor starts on, as last drawn. */
  get cursorRow(): number {
    return this.#frame?.cursor.row ?? 0;
  }

  /** A new width: the next `render` draws everything again. */
  setColumns(columns: number): void {
    this.#columns = columns;
    this.#frame = undefined;
  }

  /** Draws the editor from scratch with the cursor at `startColumn` of a row (everything below is erased). */
  render(startColumn = this.#startColumn): string {
    this.#startColumn = startColumn;
    this.#frame = undefined;
    return this.#redraw();
  }

  /**
   * The prompt and input as they stay on screen once the line is done, followed by `suffix` (`^C` for
   * an abandoned line), to write where the editor started; the cursor ends after the last character.
   */
  committed(suffix = ''): string {
    const units = [...this.#inputUnits(false), ...this.#cells(suffix)];
    const { units: placed } = placeUnits(units, this.#columns, { row: 0, column: this.#startColumn });
    return placed.map((unit) => unit.text).join('');
  }

  handle(key: EditorKey): EditorUpdate {
    this.#machine.transition('key');
    const intents: EditorIntent[] = [];
    if (this.state === 'searching') this.#searchKey(key, intents);
    else if (this.state === 'completing') this.#cycleKey(key, intents);
    else this.#editKey(key, intents);
    return { output: this.state === 'done' ? '' : this.#redraw(), intents };
  }

  /**
   * Applies the answer to the `complete` intent asked for `request`. Ignored when the line has changed
   * since (the answer is stale). One match replaces; several cycle with Tab and show a list.
   */
  applyCompletion(request: EditedText, result: CompletionResult): EditorUpdate {
    const pending = this.#completionRequest;
    if (this.state !== 'editing' || pending === undefined) return NO_UPDATE;
    if (pending.text !== request.text || pending.cursor !== request.cursor) return NO_UPDATE;
    if (this.#text !== pending.text || this.#cursor !== pending.cursor) return NO_UPDATE;
    this.#completionRequest = undefined;
    if (result.matches.length === 0) return NO_UPDATE;
    if (result.matches.length === 1) {
      this.#set(applyCompletionMatch(pending, result, 0));
    } else {
      this.#cycle = new CompletionCycle(pending, result);
      this.#machine.transition('cycle');
      this.#set(this.#cycle.current);
    }
    return { output: this.#redraw(), intents: [] };
  }

  // Keys while editing.

  #editKey(key: EditorKey, intents: EditorIntent[]): void {
    this.#completionRequest = undefined;
    switch (key.type) {
      case 'text':
        this.#insert(key.text);
        return;
      case 'paste':
        this.#insert(key.text);
        return;
      case 'ctrl':
        this.#controlKey(key.letter, intents);
        return;
      case 'key':
        break;
    }
    const text = this.#text;
    const cursor = this.#cursor;
    switch (key.key) {
      case 'Enter':
        if (this.mode === 'command' && (key.shift || this.#unfinished(text))) {
          if (!key.shift) this.#cursor = text.length;
          this.#insert('\n');
        } else this.#submit(intents);
        return;
      case 'Backspace':
        this.#delete(key.ctrl ? previousWordStart(text, cursor) : previousGrapheme(text, cursor), cursor);
        return;
      case 'Delete':
        this.#delete(cursor, key.ctrl ? nextWordStart(text, cursor) : nextGrapheme(text, cursor));
        return;
      case 'ArrowLeft':
        this.#cursor = key.ctrl ? previousWordStart(text, cursor) : previousGrapheme(text, cursor);
        return;
      case 'ArrowRight':
        this.#cursor = key.ctrl ? nextWordStart(text, cursor) : nextGrapheme(text, cursor);
        return;
      case 'Home':
        this.#cursor = cursor === lineStart(text, cursor) ? 0 : lineStart(text, cursor);
        return;
      case 'End':
        this.#cursor = cursor === lineEnd(text, cursor) ? text.length : lineEnd(text, cursor);
        return;
      case 'ArrowUp':
      case 'ArrowDown': {
        const direction = key.key === 'ArrowUp' ? -1 : 1;
        const onOtherLine = verticalMove(text, cursor, direction);
        if (onOtherLine !== undefined) this.#cursor = onOtherLine;
        else this.#browseHistory(direction);
        return;
      }
      case 'Tab':
        if (this.mode === 'command') {
          this.#completionRequest = { text, cursor };
          intents.push({ type: 'complete', text, cursor });
        }
        return;
      case 'Escape':
        // Reverts the line, as PSReadLine's Windows mode does; Up starts again from the newest entry.
        this.#set({ text: '', cursor: 0 });
        this.#historyIndex = this.#history.length;
        this.#stash = undefined;
        return;
    }
  }

  #controlKey(letter: string, intents: EditorIntent[]): void {
    const text = this.#text;
    const cursor = this.#cursor;
    switch (letter) {
      case 'a':
        this.#cursor = lineStart(text, cursor);
        return;
      case 'e':
        this.#cursor = lineEnd(text, cursor);
        return;
      case 'u':
        this.#kill(lineStart(text, cursor), cursor);
        return;
      case 'k':
        this.#kill(cursor, lineEnd(text, cursor));
        return;
      case 'w':
        this.#kill(previousWhitespaceWordStart(text, cursor), cursor);
        return;
      case 'y':
        this.#insert(this.#killed);
        return;
      case 'c':
        this.#machine.transition('finish');
        intents.push({ type: 'cancel' });
        return;
      case 'l':
        intents.push({ type: 'clear-screen' });
        return;
      case 'r':
        if (this.mode === 'command') this.#startSearch();
        return;
    }
  }

  #submit(intents: EditorIntent[]): void {
    this.#machine.transition('finish');
    if (this.mode === 'command') this.#history = addToHistory(this.#history, this.#text, this.#maxHistory);
    intents.push({ type: 'submit', text: this.#text, history: this.#history });
  }

  #insert(inserted: string): void {
    let text = inserted.replace(/\r\n?/g, '\n');
    // A Read-Host answer is one line: a pasted answer stops at its first line break.
    if (this.mode !== 'command') text = text.split('\n', 1)[0] ?? '';
    if (text === '') return;
    this.#set({
      text: this.#text.slice(0, this.#cursor) + text + this.#text.slice(this.#cursor),
      cursor: this.#cursor + text.length,
    });
  }

  #delete(from: number, to: number): void {
    if (from === to) return;
    this.#set({ text: this.#text.slice(0, from) + this.#text.slice(to), cursor: from });
  }

  #kill(from: number, to: number): void {
    if (from === to) return;
    this.#killed = this.#text.slice(from, to);
    this.#delete(from, to);
  }

  #set(edited: EditedText): void {
    this.#text = edited.text;
    this.#cursor = edited.cursor;
  }

  #browseHistory(direction: -1 | 1): void {
    const target = this.#historyIndex + direction;
    if (target < 0 || target > this.#history.length) return;
    if (this.#historyIndex === this.#history.length) this.#stash = { text: this.#text, cursor: this.#cursor };
    this.#historyIndex = target;
    const entry = this.#history[target];
    this.#set(entry === undefined ? (this.#stash ?? { text: '', cursor: 0 }) : { text: entry, cursor: entry.length });
  }

  // Ctrl+R: reverse incremental history search.

  #startSearch(): void {
    this.#machine.transition('search');
    this.#search = { query: '', match: undefined, failed: false, original: { text: this.#text, cursor: this.#cursor } };
  }

  #searchKey(key: EditorKey, intents: EditorIntent[]): void {
    const search = this.#search as Search;
    const newest = this.#history.length - 1;
    if (key.type === 'text') {
      const query = search.query + key.text;
      this.#updateSearch(query, searchHistory(this.#history, query, search.match?.index ?? newest, -1));
      return;
    }
    if (key.type === 'key' && key.key === 'Backspace') {
      const query = search.query.slice(0, previousGrapheme(search.query, search.query.length));
      this.#updateSearch(query, searchHistory(this.#history, query, newest, -1));
      return;
    }
    if (key.type === 'ctrl' && (key.letter === 'r' || key.letter === 's')) {
      const direction = key.letter === 'r' ? -1 : 1;
      const from = search.match === undefined ? newest : search.match.index + direction;
      this.#updateSearch(search.query, searchHistory(this.#history, search.query, from, direction));
      return;
    }
    if (key.type === 'ctrl' && key.letter === 'g') {
      this.#endSearch(search.original);
      return;
    }
    // Any other key takes the match as the line; Escape stops there, the rest act on it.
    const match = search.match;
    const entry = match === undefined ? undefined : this.#history[match.index];
    if (match !== undefined && entry !== undefined) {
      this.#historyIndex = match.index;
      this.#endSearch({ text: entry, cursor: match.position });
    } else this.#endSearch(search.original);
    if (!(key.type === 'key' && key.key === 'Escape')) this.#editKey(key, intents);
  }

  #updateSearch(query: string, match: HistoryMatch | undefined): void {
    const search = this.#search as Search;
    const failed = query !== '' && match === undefined;
    this.#search = { ...search, query, failed, match: match ?? (query === '' ? undefined : search.match) };
  }

  #endSearch(result: EditedText): void {
    this.#search = undefined;
    this.#machine.transition('edit');
    this.#set(result);
  }

  // Tab cycling through several completion matches.

  #cycleKey(key: EditorKey, intents: EditorIntent[]): void {
    const cycle = this.#cycle as CompletionCycle;
    if (key.type === 'key' && key.key === 'Tab' && !key.ctrl) {
      this.#set(cycle.step(key.shift ? -1 : 1));
      return;
    }
    this.#cycle = undefined;
    this.#machine.transition('edit');
    if (key.type === 'key' && key.key === 'Escape') {
      this.#set(cycle.original);
      return;
    }
    this.#editKey(key, intents);
  }

  // Drawing.

  #redraw(): string {
    const placed = placeUnits(this.#units(), this.#columns, { row: 0, column: this.#startColumn });
    const cursorOffset = this.#search ? SEARCH_CURSOR : this.#shownText().cursor;
    const cursor = positionOfOffset(placed, cursorOffset) ?? placed.end;
    const next: Frame = { ...placed, cursor };
    const output = renderFrame(this.#frame, next);
    this.#frame = next;
    return output;
  }

  #shownText(): EditedText {
    const search = this.#search;
    if (search === undefined) return { text: this.#text, cursor: this.#cursor };
    const entry = search.match === undefined ? undefined : this.#history[search.match.index];
    if (search.match === undefined || entry === undefined) return search.original;
    return { text: entry, cursor: search.match.position };
  }

  #units(): DisplayUnit[] {
    const units = this.#inputUnits(true);
    units.push({ kind: 'settle' }, { kind: 'escape', text: '', offset: this.#shownText().text.length });
    for (const line of this.#footerLines()) {
      units.push({ kind: 'break' }, ...this.#styledCells(line.text));
      if (line.cursorAtEnd) units.push({ kind: 'escape', text: '', offset: SEARCH_CURSOR });
    }
    return units;
  }

  /** Prompt and text; `highlight` marks the search match. */
  #inputUnits(highlight: boolean): DisplayUnit[] {
    const units = this.#styledCells(this.#prompt);
    if (units.some((unit) => unit.kind === 'escape')) units.push({ kind: 'escape', text: SGR_RESET });
    const { text } = this.#shownText();
    const search = this.#search;
    const match = highlight && search?.match !== undefined ? search.match : undefined;
    const matchEnd = match === undefined ? -1 : match.position + (search?.query.length ?? 0);
    let offset = 0;
    for (const char of text) {
      if (offset === match?.position) units.push({ kind: 'escape', text: SGR_INVERSE });
      if (offset === matchEnd) units.push({ kind: 'escape', text: SGR_INVERSE_OFF });
      if (char === '\n') units.push({ kind: 'break', offset }, ...this.#cells(CONTINUATION_PROMPT));
      else units.push(...this.#cells(this.#displayed(char), offset));
      offset += char.length;
    }
    if (offset === matchEnd) units.push({ kind: 'escape', text: SGR_INVERSE_OFF });
    return units;
  }

  /** How one character of the text is shown: `*` for secrets, spaces for a tab, `^X` for control characters. */
  #displayed(char: string): string {
    if (this.mode === 'secret') return '*';
    if (char === '\t') return TAB_DISPLAY;
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return `^${String.fromCharCode(code ^ 0x40)}`;
    if (code >= 0x80 && code < 0xa0) return '?';
    return char;
  }

  /** One cell unit per code point; the first carries `offset`. */
  #cells(text: string, offset?: number): DisplayUnit[] {
    const units: DisplayUnit[] = [];
    for (const char of text) {
      const width = this.#width(char.codePointAt(0) ?? 0);
      units.push(
        units.length === 0 && offset !== undefined
          ? { kind: 'cell', text: char, width, offset }
          : { kind: 'cell', text: char, width },
      );
    }
    return units;
  }

  /** Cells of text that may carry escape sequences (a prompt, a list line); line breaks break rows. */
  #styledCells(text: string): DisplayUnit[] {
    const units: DisplayUnit[] = [];
    let index = 0;
    while (index < text.length) {
      const escape = escapeSequenceLength(text, index);
      if (escape > 0) {
        units.push({ kind: 'escape', text: text.slice(index, index + escape) });
        index += escape;
        continue;
      }
      const char = String.fromCodePoint(text.codePointAt(index) ?? 0);
      if (char === '\n') units.push({ kind: 'break' });
      else if (char >= ' ') units.push(...this.#cells(char));
      index += char.length;
    }
    return units;
  }

  /** Lines shown below the input: the search prompt, or the completion list. None is as wide as the screen. */
  #footerLines(): { readonly text: string; readonly cursorAtEnd?: boolean }[] {
    const available = Math.max(1, this.#columns - 1);
    const search = this.#search;
    if (search !== undefined) {
      const label = search.failed ? FAILED_SEARCH_LABEL : SEARCH_LABEL;
      // Keep the end of a long query in view: that is where typing happens.
      let query = search.query;
      while (query !== '' && textWidth(label + query, this.#width) > available)
        query = query.slice(nextGrapheme(query, 0));
      return [{ text: truncateToWidth(label + query, available, this.#width), cursorAtEnd: true }];
    }
    const cycle = this.#cycle;
    if (cycle === undefined) return [];
    return completionMenuLines(cycle.result, cycle.index, {
      columns: this.#columns,
      width: this.#width,
      maxRows: this.#maxMenuRows,
    }).map((text) => ({ text }));
  }
}
