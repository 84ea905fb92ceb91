import { StateMachine, type TransitionTable } from '../../../core/state-machine';
import type { CompletionResult, EditedText } from './completion';
import type { EditorKey } from './keys';
import { LineEditor } from './line-editor';
import { ProgressModel, renderProgress, type ProgressRecord, type ProgressSource } from './progress';
import type { CodePointWidth } from './text-width';
import { CLEAR_SCREEN, CLEAR_SCREEN_AND_SCROLLBACK, cursorToColumn, cursorUp, ERASE_BELOW } from './vt';

/**
 * What a terminal shows besides plain output, kept in one place: the live region at the bottom of the
 * screen (progress bars, then the input line being edited) and the console's modes (a pipeline runs,
 * a prompt is being edited, a Read-Host answer is being typed). Output goes above the live region:
 * the caller writes `detach()`, the output, then `attach(cursorColumn)` once the terminal has parsed
 * the output. Since the live region is erased before any output and redrawn after it, it never ends up
 * in the scrollback.
 *
 * Pure: every method returns the VT text to write, in call order, and the intents for the session.
 * Methods that draw take the terminal's cursor column, read after everything written before was parsed.
 */

export type TerminalIntent =
  /** Run a command line; `history` is the history with it added, to keep for this host. */
  | { readonly type: 'submit'; readonly text: string; readonly history: readonly string[] }
  /** The answer to a Read-Host. */
  | { readonly type: 'read-line'; readonly text: string }
  /** Ask TabExpansion2; answer with `completion()`. */
  | { readonly type: 'complete'; readonly text: string; readonly cursor: number }
  /** Ctrl+C while a pipeline runs (or a Read-Host waits): stop it. */
  | { readonly type: 'interrupt' };

export interface ControllerUpdate {
  readonly write: string;
  readonly intents: readonly TerminalIntent[];
}

export interface TerminalControllerOptions {
  readonly columns: number;
  readonly rows: number;
  readonly width: CodePointWidth;
  readonly history?: readonly string[];
  readonly maxHistory?: number;
  /** `cmd` for a WinRS shell: Enter always runs the line (PowerShell's continuation rules do not apply). */
  readonly shell?: TerminalShell;
}

export type TerminalShell = 'powershell' | 'cmd';

type Mode = 'running' | 'prompting' | 'reading';
type ModeAction = 'prompt' | 'read' | 'run' | 'answer' | 'interrupt';

const modes: TransitionTable<Mode, ModeAction> = {
  prompt: { from: ['running', 'prompting', 'reading'], to: 'prompting' },
  read: { from: ['running'], to: 'reading' },
  run: { from: ['prompting'], to: 'running' },
  answer: { from: ['reading'], to: 'running' },
  interrupt: { from: ['running', 'reading'], to: 'running' },
};

/** Keys typed while a pipeline runs, kept for the next prompt as PowerShell's console does; more are dropped. */
const MAX_TYPE_AHEAD = 4096;

/** Where the live region is on screen, relative to the point output continues from. */
interface Region {
  /** Column of that point, on the row the output ended (the cursor returns there when the region is erased). */
  readonly eraseColumn: number;
  /** 1 when the region starts on the row below that point, else 0. */
  readonly rowsToStart: number;
  readonly progressRows: number;
}

export class TerminalController {
  readonly #mode = new StateMachine<Mode, ModeAction>('terminal', modes, 'running');
  readonly #progress = new ProgressModel();
  readonly #width: CodePointWidth;
  readonly #maxHistory: number | undefined;
  readonly #shell: TerminalShell;
  #columns: number;
  #rows: number;
  #history: readonly string[];
  #prompt = '';
  #editor: LineEditor | undefined;
  #region: Region | undefined;
  #typeAhead: EditorKey[] = [];

  constructor(options: TerminalControllerOptions) {
    this.#columns = options.columns;
    this.#rows = options.rows;
    this.#width = options.width;
    this.#history = options.history ?? [];
    this.#maxHistory = options.maxHistory;
    this.#shell = options.shell ?? 'powershell';
  }

  get mode(): Mode {
    return this.#mode.state;
  }

  /** The line being edited, while a prompt or Read-Host is shown. */
  get editor(): LineEditor | undefined {
    return this.#editor;
  }

  get history(): readonly string[] {
    return this.#history;
  }

  /** The history the next prompt starts with (loaded for this host). */
  setHistory(history: readonly string[]): void {
    this.#history = history;
  }

  /** Erases the live region; the cursor is left where output continues. */
  detach(): string {
    return this.#erase();
  }

  /** Draws the live region after output that left the cursor at `cursorColumn`. */
  attach(cursorColumn: number): string {
    return this.#region ? '' : this.#draw(cursorColumn);
  }

  /** Between `detach()` and `attach()`: the terminal's new size. */
  resize(columns: number, rows: number): void {
    this.#columns = columns;
    this.#rows = rows;
    this.#editor?.setColumns(columns);
  }

  /** The pipeline finished: progress goes, a new command line starts and takes the keys typed ahead. */
  showPrompt(prompt: string, cursorColumn: number): ControllerUpdate {
    this.#mode.transition('prompt');
    this.#prompt = prompt;
    const write = this.#change(cursorColumn, () => {
      this.#progress.clear();
      this.#editor = this.#commandLine();
    });
    const typedAhead = this.#typeAhead;
    this.#typeAhead = [];
    return typedAhead.reduce(
      (done, key) => {
        const update = this.key(key);
        return { write: done.write + update.write, intents: [...done.intents, ...update.intents] };
      },
      { write, intents: [] as readonly TerminalIntent[] },
    );
  }

  /** A Read-Host: an input line in the running pipeline, masked for -AsSecureString. */
  readLine(prompt: string, secret: boolean, cursorColumn: number): string {
    this.#mode.transition('read');
    return this.#change(cursorColumn, () => {
      this.#editor = new LineEditor({
        prompt,
        mode: secret ? 'secret' : 'line',
        columns: this.#columns,
        width: this.#width,
      });
    });
  }

  updateProgress(source: ProgressSource, record: ProgressRecord, cursorColumn: number): string {
    return this.#change(cursorColumn, () => this.#progress.update(source, record));
  }

  /** Clear-Host: screen and scrollback are erased, the live region is drawn again at the top. */
  clearScreen(keepScrollback = false): string {
    const erase = this.#erase();
    return erase + (keepScrollback ? CLEAR_SCREEN : CLEAR_SCREEN_AND_SCROLLBACK) + this.#draw(0);
  }

  key(key: EditorKey): ControllerUpdate {
    const editor = this.#editor;
    if (this.mode === 'running' || editor === undefined) {
      if (key.type === 'ctrl' && key.letter === 'c') {
        this.#typeAhead = [];
        return { write: '', intents: [{ type: 'interrupt' }] };
      }
      if (this.#typeAhead.length < MAX_TYPE_AHEAD) this.#typeAhead.push(key);
      return { write: '', intents: [] };
    }
    const update = editor.handle(key);
    let write = this.#region ? update.output : '';
    const intents: TerminalIntent[] = [];
    for (const intent of update.intents) {
      switch (intent.type) {
        case 'submit':
          if (this.mode === 'prompting') {
            this.#mode.transition('run');
            this.#history = intent.history;
            intents.push(intent);
          } else {
            this.#mode.transition('answer');
            intents.push({ type: 'read-line', text: intent.text });
          }
          write += this.#commit('', undefined);
          break;
        case 'cancel':
          // With nothing running, Ctrl+C abandons the line and starts a fresh one; in a Read-Host it stops the pipeline.
          if (this.mode === 'prompting') write += this.#commit('^C', this.#commandLine());
          else {
            this.#mode.transition('interrupt');
            intents.push({ type: 'interrupt' });
            write += this.#commit('^C', undefined);
          }
          break;
        case 'complete':
          intents.push(intent);
          break;
        case 'clear-screen':
          write += this.clearScreen(true);
          break;
      }
    }
    return { write, intents };
  }

  /** The answer to a `complete` intent. */
  completion(request: EditedText, result: CompletionResult): string {
    const editor = this.#editor;
    if (editor === undefined || this.mode !== 'prompting') return '';
    const { output } = editor.applyCompletion(request, result);
    return this.#region ? output : '';
  }

  #commandLine(): LineEditor {
    return new LineEditor({
      prompt: this.#prompt,
      columns: this.#columns,
      width: this.#width,
      history: this.#history,
      ...(this.#maxHistory === undefined ? {} : { maxHistory: this.#maxHistory }),
      ...(this.#shell === 'cmd' ? { unfinished: () => false } : {}),
    });
  }

  /** Erases the region, applies `change`, draws the region again. */
  #change(cursorColumn: number, change: () => void): string {
    const region = this.#region;
    const erase = this.#erase();
    change();
    return erase + this.#draw(region ? region.eraseColumn : cursorColumn);
  }

  /**
   * The finished line stays on screen as output (with `suffix`), the region is drawn again below it,
   * with `next` as the new input line.
   */
  #commit(suffix: string, next: LineEditor | undefined): string {
    const editor = this.#editor;
    const region = this.#region;
    let write = this.#erase();
    if (region?.rowsToStart === 1) write += '\r\n';
    if (editor) write += `${editor.committed(suffix)}\r\n`;
    this.#editor = next;
    return write + this.#draw(0);
  }

  #draw(cursorColumn: number): string {
    const editor = this.#editor;
    const lines = renderProgress(this.#progress.entries(), {
      columns: this.#columns,
      width: this.#width,
      maxRows: Math.max(1, Math.floor(this.#rows / 2)),
    });
    if (lines.length === 0 && editor === undefined) return '';

    // A row the output filled is waiting to wrap: the region starts on the next row, and output resumes there.
    const pendingWrap = cursorColumn >= this.#columns;
    // A Read-Host answer follows its question on the same row, unless progress bars come between.
    const inline = editor !== undefined && editor.mode !== 'command' && lines.length === 0 && !pendingWrap;
    const freshRow = cursorColumn > 0 && !inline;
    const region: Region = {
      eraseColumn: pendingWrap ? 0 : cursorColumn,
      rowsToStart: freshRow && !pendingWrap ? 1 : 0,
      progressRows: lines.length,
    };
    this.#region = region;

    let write = freshRow ? '\r\n' : '';
    if (editor) return write + lines.map((line) => `${line}\r\n`).join('') + editor.render(inline ? cursorColumn : 0);
    write += lines.join('\r\n');
    return write + cursorUp(region.rowsToStart + lines.length - 1) + cursorToColumn(region.eraseColumn);
  }

  #erase(): string {
    const region = this.#region;
    if (region === undefined) return '';
    this.#region = undefined;
    const editor = this.#editor;
    // Without an input line the cursor already waits where output continues.
    if (editor === undefined) return ERASE_BELOW;
    const rowsUp = region.rowsToStart + region.progressRows + editor.cursorRow;
    return cursorUp(rowsUp) + cursorToColumn(region.eraseColumn) + ERASE_BELOW;
  }
}
