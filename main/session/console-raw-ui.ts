import {
  hostWithUI,
  type ConsoleColor,
  type Coordinates,
  type HostCall,
  type HostDefaultData,
  type HostInfo,
} from '../../core/psrp/session';
import type { PowerShellSession } from './powershell-session';
import type { TerminalSize } from './terminal-console';

/** Lines of the screen buffer Windows' console reports (its default scrollback), so scripts see a tall buffer. */
const BUFFER_HEIGHT = 9001;

/** What a RawUI host call asks of the terminal beyond an answer. */
export type RawUIEffect = 'clear-screen' | 'none';

/**
 * `$Host.UI.RawUI` of a console whose screen is a terminal the server cannot address cell by cell: the
 * terminal's size, the colours, cursor and title the scripts set (kept so getters and later pipelines see
 * them), and Clear-Host. Each pipeline is given `hostInfo()` (RawUI default data), which the server answers
 * most getters from without asking; calls it does send are answered from the same state. What a terminal
 * stream cannot answer (reading back the buffer, reading a key) is declined, so the script gets an error
 * instead of waiting; what it cannot do and nobody waits for (scrolling, writing cells) is ignored.
 */
export class ConsoleRawUI {
  #size: TerminalSize;
  #foregroundColor: ConsoleColor = 'Gray';
  #backgroundColor: ConsoleColor = 'Black';
  #cursorPosition: Coordinates = { x: 0, y: 0 };
  #cursorSize = 25;
  #windowTitle = '';

  constructor(size: TerminalSize) {
    this.#size = size;
  }

  resize(size: TerminalSize): void {
    this.#size = size;
  }

  /** The host a pipeline started now describes: UI and RawUI with the current state as default data. */
  hostInfo(): HostInfo {
    return hostWithUI(this.#defaultData());
  }

  #defaultData(): HostDefaultData {
    const window = { width: this.#size.columns, height: this.#size.rows };
    return {
      foregroundColor: this.#foregroundColor,
      backgroundColor: this.#backgroundColor,
      cursorPosition: this.#cursorPosition,
      windowPosition: { x: 0, y: 0 },
      cursorSize: this.#cursorSize,
      bufferSize: { width: this.#size.columns, height: Math.max(BUFFER_HEIGHT, this.#size.rows) },
      windowSize: window,
      maxWindowSize: window,
      maxPhysicalWindowSize: window,
      windowTitle: this.#windowTitle,
    };
  }

  /**
   * Answers `call` when it is a RawUI method and tells what it asks of the terminal; undefined when it is
   * not a RawUI method (the caller handles it).
   */
  handle(
    call: HostCall,
    session: Pick<PowerShellSession, 'answerHostCall' | 'declineHostCall'>,
  ): RawUIEffect | undefined {
    const data = this.#defaultData();
    switch (call.method) {
      case 'GetForegroundColor':
        session.answerHostCall(call, { result: data.foregroundColor });
        return 'none';
      case 'SetForegroundColor':
        this.#foregroundColor = call.parameters.color;
        return 'none';
      case 'GetBackgroundColor':
        session.answerHostCall(call, { result: data.backgroundColor });
        return 'none';
      case 'SetBackgroundColor':
        this.#backgroundColor = call.parameters.color;
        return 'none';
      case 'GetCursorPosition':
        session.answerHostCall(call, { result: data.cursorPosition });
        return 'none';
      case 'SetCursorPosition':
        this.#cursorPosition = call.parameters.position;
        return 'none';
      case 'GetWindowPosition':
        session.answerHostCall(call, { result: data.windowPosition });
        return 'none';
      case 'GetCursorSize':
        session.answerHostCall(call, { result: data.cursorSize });
        return 'none';
      case 'SetCursorSize':
        this.#cursorSize = call.parameters.size;
        return 'none';
      case 'GetBufferSize':
        session.answerHostCall(call, { result: data.bufferSize });
        return 'none';
      case 'GetWindowSize':
        session.answerHostCall(call, { result: data.windowSize });
        return 'none';
      case 'GetMaxWindowSize':
        session.answerHostCall(call, { result: data.maxWindowSize });
        return 'none';
      case 'GetMaxPhysicalWindowSize':
        session.answerHostCall(call, { result: data.maxPhysicalWindowSize });
        return 'none';
      case 'GetWindowTitle':
        session.answerHostCall(call, { result: data.windowTitle });
        return 'none';
      case 'SetWindowTitle':
        this.#windowTitle = call.parameters.title;
        return 'none';
      case 'GetKeyAvailable':
        session.answerHostCall(call, { result: false });
        return 'none';
      // The terminal's size is the user's window: a script cannot move or resize it.
      case 'SetWindowPosition':
      case 'SetBufferSize':
      case 'SetWindowSize':
      case 'FlushInputBuffer':
      case 'SetBufferContents2':
      case 'ScrollBufferContents':
        return 'none';
      case 'SetBufferContents1': {
        // Clear-Host on Windows: the cursor to 0,0, then the whole buffer (a rectangle of -1s) filled.
        const { left, top, right, bottom } = call.parameters.rectangle;
        return left === -1 && top === -1 && right === -1 && bottom === -1 ? 'clear-screen' : 'none';
      }
      case 'GetBufferContents':
      case 'ReadKey':
        session.declineHostCall(call, `this terminal does not support ${call.method}`);
        return 'none';
      default:
        return undefined;
    }
  }
}
