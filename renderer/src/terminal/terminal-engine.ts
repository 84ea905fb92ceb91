import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { WebglAddon } from '@xterm/addon-webgl';
import { Terminal } from '@xterm/xterm';
import type { CompletionResult } from './completion';
import { editorKeyFromKeyboardEvent, type EditorKey } from './keys';
import type { ProgressRecord, ProgressSource } from './progress';
import { SerialWriter } from './serial-writer';
import { TerminalController, type TerminalIntent, type TerminalShell } from './terminal-controller';
import { MINIMUM_CONTRAST_RATIO, TERMINAL_THEMES, type TerminalThemeName } from './themes';
import { unicode11Width } from './unicode-width';

/**
 * xterm.js wired to the terminal controller: keys and pastes in, session events out to the screen,
 * resizing, copy and paste, links, search. The React view owns one of these per mounted terminal.
 */

/** What the session shows in the terminal. */
export type TerminalEvent =
  /** Output text for xterm (with its escape sequences); `sequence` comes back in `onWritten`. */
  | { readonly type: 'output'; readonly data: string; readonly sequence?: number }
  /** The pipeline finished: show this prompt and edit a new command line. */
  | { readonly type: 'prompt'; readonly prompt: string }
  /** Read-Host: read one line (masked when secret) in the running pipeline. */
  | { readonly type: 'read-line'; readonly prompt: string; readonly secret: boolean }
  | { readonly type: 'progress'; readonly source: ProgressSource; readonly record: ProgressRecord }
  /** Clear-Host. */
  | { readonly type: 'clear' };

export type TerminalOutputEvent = Extract<TerminalEvent, { type: 'output' }>;

/** Subscribes to a session's terminal events; returns the unsubscribe function. */
export type TerminalEventSource = (listener: (event: TerminalEvent) => void) => () => void;

/** What the user asks of the session. */
export type TerminalInput = Exclude<TerminalIntent, { type: 'complete' }>;

export interface TerminalCallbacks {
  onInput(input: TerminalInput): void;
  /** xterm has parsed an output event: acknowledge it for flow control. */
  onWritten?(event: TerminalOutputEvent): void;
  /** TabExpansion2 on the remote host. */
  complete?(text: string, cursor: number): Promise<CompletionResult | undefined>;
  /** A command line was run: `entry`; `history` is the session's history with it added (unless blank or a repeat). */
  onHistoryChange?(history: readonly string[], entry: string): void;
  /** Asked before multi-line text is pasted; resolves whether to paste it. */
  confirmPaste?(text: string): Promise<boolean>;
  onResize?(size: { readonly columns: number; readonly rows: number }): void;
  /** A link in the output was activated; the terminal never opens anything itself. */
  onOpenLink?(uri: string): void;
  writeClipboard?(text: string): Promise<void>;
  onError?(error: unknown): void;
  /** Ctrl+Shift+F. */
  onSearchRequested?(): void;
}

export interface TerminalAppearance {
  readonly theme: TerminalThemeName;
  readonly fontFamily: string;
  readonly fontSize: number;
  readonly scrollback: number;
  readonly copyOnSelect: boolean;
  readonly screenReaderMode: boolean;
  /** Accessible name of the terminal's input. */
  readonly label: string;
}

/**
 * Whether the page gets a WebGL2 context drawn by a GPU. Without one (a VM, a remote desktop session, Chromium
 * with --disable-gpu) WebGL is rendered in software, which made streaming output about half as fast as with the
 * DOM renderer (bench/app-terminal.ts, 5 MB: 0.81 vs 1.49–1.67 MB/s), so the DOM renderer stays.
 */
function hardwareWebglAvailable(): boolean {
  // The page's GPU does not change: probed once (a probe creates and loses a WebGL context), not per terminal.
  hardwareWebgl ??= probeHardwareWebgl();
  return hardwareWebgl;
}

let hardwareWebgl: boolean | undefined;

function probeHardwareWebgl(): boolean {
  try {
    const context = document.createElement('canvas').getContext('webgl2', { failIfMajorPerformanceCaveat: true });
    if (context === null) return false;
    // Chromium still offers SwiftShader under that flag; the renderer's name tells software rasterizers apart.
    const info = context.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(context.getParameter(info?.UNMASKED_RENDERER_WEBGL ?? context.RENDERER));
    context.getExtension('WEBGL_lose_context')?.loseContext();
    return !SOFTWARE_RASTERIZER.test(renderer);
  } catch {
    return false;
  }
}

/** WebGL renderer names of software rasterizers (Chromium's SwiftShader, Mesa's llvmpipe/softpipe, Windows' WARP). */
const SOFTWARE_RASTERIZER = /SwiftShader|llvmpipe|softpipe|Software|Basic Render/i;

export class TerminalEngine {
  readonly terminal: Terminal;
  readonly #fit = new FitAddon();
  readonly #search = new SearchAddon();
  readonly #controller: TerminalController;
  readonly #writer: SerialWriter;
  readonly #callbacks: () => TerminalCallbacks;
  readonly #disposers: (() => void)[] = [];
  #copyOnSelect: boolean;
  #resizeFrame: number | undefined;
  /** Output events a queued write will take; other events close it, so nothing overtakes them. */
  #outputBatch: TerminalOutputEvent[] | undefined;

  constructor(
    container: HTMLElement,
    appearance: TerminalAppearance,
    session: { readonly history: readonly string[]; readonly shell: TerminalShell },
    callbacks: () => TerminalCallbacks,
  ) {
    this.#callbacks = callbacks;
    this.#copyOnSelect = appearance.copyOnSelect;
    const terminal = new Terminal({
      allowProposedApi: true,
      fontFamily: appearance.fontFamily,
      fontSize: appearance.fontSize,
      scrollback: appearance.scrollback,
      screenReaderMode: appearance.screenReaderMode,
      theme: TERMINAL_THEMES[appearance.theme],
      minimumContrastRatio: MINIMUM_CONTRAST_RATIO,
      cursorBlink: true,
      // OSC 8 hyperlinks go through the same callback as detected URLs.
      linkHandler: { activate: (_event, uri) => this.#callbacks().onOpenLink?.(uri), allowNonHttpProtocols: false },
    });
    this.terminal = terminal;
    terminal.loadAddon(this.#fit);
    terminal.loadAddon(this.#search);
    terminal.loadAddon(new Unicode11Addon());
    terminal.unicode.activeVersion = '11';
    terminal.loadAddon(new WebLinksAddon((_event, uri) => this.#callbacks().onOpenLink?.(uri)));
    terminal.open(container);
    this.#loadWebgl();
    terminal.textarea?.setAttribute('aria-label', appearance.label);
    this.#fit.fit();

    this.#writer = new SerialWriter(terminal, (error) => this.#report(error));
    this.#controller = new TerminalController({
      columns: terminal.cols,
      rows: terminal.rows,
      width: unicode11Width(),
      history: session.history,
      shell: session.shell,
    });

    terminal.attachCustomKeyEventHandler((event) => this.#keyEvent(event));
    const data = terminal.onData((text) => this.#data(text));
    const selection = terminal.onSelectionChange(() => {
      if (this.#copyOnSelect && terminal.hasSelection()) this.#copy(false);
    });
    this.#disposers.push(
      () => data.dispose(),
      () => selection.dispose(),
    );

    // Pastes are taken before xterm sees them, to confirm multi-line text first.
    const paste = (event: ClipboardEvent): void => {
      event.preventDefault();
      event.stopPropagation();
      void this.paste(event.clipboardData?.getData('text/plain') ?? '');
    };
    container.addEventListener('paste', paste, { capture: true });
    this.#disposers.push(() => container.removeEventListener('paste', paste, { capture: true }));

    const observer = new ResizeObserver(() => this.#scheduleFit());
    observer.observe(container);
    this.#disposers.push(() => observer.disconnect());
    this.#callbacks().onResize?.({ columns: terminal.cols, rows: terminal.rows });
  }

  /** Shows a session event. */
  handle(event: TerminalEvent): void {
    const controller = this.#controller;
    const cursorColumn = (): number => this.terminal.buffer.active.cursorX;
    if (event.type === 'output') {
      this.#output(event);
      return;
    }
    this.#outputBatch = undefined;
    switch (event.type) {
      case 'prompt':
        this.#writer.compose(() => {
          const update = controller.showPrompt(event.prompt, cursorColumn());
          this.#dispatch(update.intents);
          return update.write;
        });
        return;
      case 'read-line':
        this.#writer.compose(() => controller.readLine(event.prompt, event.secret, cursorColumn()));
        return;
      case 'progress':
        this.#writer.compose(() => controller.updateProgress(event.source, event.record, cursorColumn()));
        return;
      case 'clear':
        this.#writer.compose(() => controller.clearScreen());
        return;
    }
  }

  /**
   * Output goes above the live region: erased before, drawn again after. Chunks that arrive while the
   * previous ones wait for xterm join them, so the region is redrawn once per batch, not per chunk
   * (flow control in main bounds what can pile up).
   */
  #output(event: TerminalOutputEvent): void {
    if (this.#outputBatch) {
      this.#outputBatch.push(event);
      return;
    }
    const batch = [event];
    this.#outputBatch = batch;
    this.#writer.compose(
      () => {
        if (this.#outputBatch === batch) this.#outputBatch = undefined;
        return this.#controller.detach() + batch.map((chunk) => chunk.data).join('');
      },
      () => batch.forEach((chunk) => this.#callbacks().onWritten?.(chunk)),
    );
    this.#writer.compose(() => this.#controller.attach(this.terminal.buffer.active.cursorX));
  }

  /** The history the next prompt starts with. */
  setHistory(history: readonly string[]): void {
    this.#controller.setHistory(history);
  }

  setAppearance(appearance: TerminalAppearance): void {
    const options = this.terminal.options;
    options.theme = TERMINAL_THEMES[appearance.theme];
    options.fontFamily = appearance.fontFamily;
    options.fontSize = appearance.fontSize;
    options.scrollback = appearance.scrollback;
    options.screenReaderMode = appearance.screenReaderMode;
    this.terminal.textarea?.setAttribute('aria-label', appearance.label);
    this.#copyOnSelect = appearance.copyOnSelect;
    // A new font changes the cell size, so the grid may change.
    this.#scheduleFit();
  }

  /** Pastes text as if typed at once, after confirmation when it has several lines. */
  async paste(text: string): Promise<void> {
    if (text === '') return;
    const callbacks = this.#callbacks();
    if (/[\r\n]/.test(text.replace(/[\r\n]+$/, '')) && callbacks.confirmPaste) {
      if (!(await callbacks.confirmPaste(text))) return;
    }
    this.#key({ type: 'paste', text });
  }

  find(query: string, direction: 'next' | 'previous'): boolean {
    if (query === '') return false;
    return direction === 'next' ? this.#search.findNext(query) : this.#search.findPrevious(query);
  }

  clearFind(): void {
    this.#search.clearDecorations();
    this.terminal.clearSelection();
  }

  focus(): void {
    this.terminal.focus();
  }

  dispose(): void {
    if (this.#resizeFrame !== undefined) cancelAnimationFrame(this.#resizeFrame);
    this.#writer.dispose();
    for (const dispose of this.#disposers) dispose();
    this.terminal.dispose();
  }

  #loadWebgl(): void {
    if (!hardwareWebglAvailable()) return;
    try {
      const webgl = new WebglAddon();
      // A lost context (GPU reset, too many contexts) falls back to the DOM renderer.
      webgl.onContextLoss(() => webgl.dispose());
      this.terminal.loadAddon(webgl);
    } catch {
      // The DOM renderer stays.
    }
  }

  /** xterm's key hook: false means xterm must not handle the event. */
  #keyEvent(event: KeyboardEvent): boolean {
    const modifier = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    const keydown = event.type === 'keydown';
    const isPaste = (modifier && key === 'v') || (event.shiftKey && event.key === 'Insert');
    if (isPaste) return false; // the browser's paste event follows and is taken in `paste`
    const hasSelection = this.terminal.hasSelection();
    const isCopy = modifier && key === 'c' && (event.shiftKey || event.metaKey || hasSelection);
    if (isCopy || (modifier && event.shiftKey && key === 'f')) {
      if (keydown) {
        event.preventDefault();
        if (isCopy) this.#copy(true);
        else this.#callbacks().onSearchRequested?.();
      }
      return false;
    }
    const editorKey = editorKeyFromKeyboardEvent(event);
    if (editorKey === undefined) return true;
    if (keydown) {
      event.preventDefault();
      this.#key(editorKey);
    }
    return false;
  }

  /** Text from xterm: typed characters, IME compositions. Escape sequences (terminal replies, Alt+key) are dropped. */
  #data(text: string): void {
    if (text.startsWith('\x1b')) return;
    if (/[\r\n]/.test(text)) {
      void this.paste(text);
      return;
    }
    // eslint-disable-next-line no-control-regex -- control characters are what is dropped
    const printable = text.replace(/[\x00-\x1f\x7f]/g, '');
    if (printable !== '') this.#key({ type: 'text', text: printable });
  }

  #key(key: EditorKey): void {
    this.#outputBatch = undefined;
    this.#writer.compose(() => {
      const update = this.#controller.key(key);
      this.#dispatch(update.intents);
      return update.write;
    });
  }

  #dispatch(intents: readonly TerminalIntent[]): void {
    const callbacks = this.#callbacks();
    for (const intent of intents) {
      if (intent.type === 'complete') this.#complete(intent.text, intent.cursor);
      else {
        if (intent.type === 'submit') callbacks.onHistoryChange?.(intent.history, intent.text);
        callbacks.onInput(intent);
      }
    }
  }

  #complete(text: string, cursor: number): void {
    const complete = this.#callbacks().complete;
    if (complete === undefined) return;
    complete(text, cursor).then(
      (result) => {
        if (result) this.#writer.compose(() => this.#controller.completion({ text, cursor }, result));
      },
      (error: unknown) => this.#report(error),
    );
  }

  #copy(clear: boolean): void {
    const selection = this.terminal.getSelection();
    if (selection === '') return;
    const write = this.#callbacks().writeClipboard ?? ((text: string) => navigator.clipboard.writeText(text));
    write(selection).catch((error: unknown) => this.#report(error));
    if (clear) this.terminal.clearSelection();
  }

  #scheduleFit(): void {
    if (this.#resizeFrame !== undefined) return;
    this.#resizeFrame = requestAnimationFrame(() => {
      this.#resizeFrame = undefined;
      this.#refit();
    });
  }

  /** The live region is erased before xterm reflows to the new size, and drawn again for it. */
  #refit(): void {
    const proposed = this.#fit.proposeDimensions();
    if (!proposed || (proposed.cols === this.terminal.cols && proposed.rows === this.terminal.rows)) return;
    this.#writer.compose(() => this.#controller.detach());
    this.#writer.compose(() => {
      const size = this.#fit.proposeDimensions() ?? proposed;
      this.terminal.resize(size.cols, size.rows);
      this.#controller.resize(this.terminal.cols, this.terminal.rows);
      this.#callbacks().onResize?.({ columns: this.terminal.cols, rows: this.terminal.rows });
      return this.#controller.attach(this.terminal.buffer.active.cursorX);
    });
  }

  #report(error: unknown): void {
    const onError = this.#callbacks().onError;
    if (onError) onError(error);
    else console.error(error);
  }
}
