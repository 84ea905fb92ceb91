import type { CodePointWidth } from '../text-width';

/**
 * A small model of xterm.js's screen for tests: printing with autowrap (pending wrap at the right
 * margin, wide characters moved whole to the next row, continuation marks), CR, LF, BS and the CSI
 * sequences the terminal modules write (CUU, CUD, CHA, CUP, EL, ED, SGR). Rows scrolled off the top go
 * to the scrollback. It exists to check that the VT text we produce leaves the screen we meant.
 */
/** The cell a wide character's second half occupies. */
const WIDE_TAIL = '\u0000';

const rowText = (row: Row): string =>
  row.cells
    .filter((cell) => cell !== WIDE_TAIL)
    .map((cell) => cell || ' ')
    .join('');

interface Row {
  cells: string[];
  /** xterm's isWrapped: this row continues the one above. */
  wrapped: boolean;
  /** Cells drawn in inverse video. */
  inverse: boolean[];
}

export class VtScreen {
  readonly scrollback: Row[] = [];
  rows: Row[];
  x = 0;
  y = 0;
  #inverse = false;

  constructor(
    readonly columns: number,
    readonly height: number,
    private readonly width: CodePointWidth,
  ) {
    this.rows = Array.from({ length: height }, () => this.#blankRow());
  }

  #blankRow(): Row {
    return {
      cells: Array<string>(this.columns).fill(''),
      wrapped: false,
      inverse: Array<boolean>(this.columns).fill(false),
    };
  }

  /** Visible rows as text, trailing blanks removed. */
  lines(): string[] {
    return this.rows.map((row) => rowText(row).trimEnd());
  }

  /** Everything ever shown: scrollback then screen. */
  allLines(): string[] {
    return [...this.scrollback.map((row) => rowText(row).trimEnd()), ...this.lines()];
  }

  /** Visible rows joined the way copying them would: continuation rows without a line break. */
  logicalLines(): string[] {
    const result: string[] = [];
    for (const row of this.rows) {
      const text = rowText(row);
      if (row.wrapped && result.length > 0) result[result.length - 1] += text;
      else result.push(text);
    }
    return result.map((line) => line.trimEnd());
  }

  wrapped(row: number): boolean {
    return this.rows[row]?.wrapped ?? false;
  }

  /** Whether the cell is drawn in inverse video. */
  inverseAt(row: number, column: number): boolean {
    return this.rows[row]?.inverse[column] ?? false;
  }

  get cursor(): { row: number; column: number } {
    return { row: this.y, column: this.x };
  }

  write(data: string): void {
    let index = 0;
    while (index < data.length) {
      const char = String.fromCodePoint(data.codePointAt(index) ?? 0);
      if (char === '\x1b') {
        index = this.#escape(data, index);
        continue;
      }
      index += char.length;
      if (char === '\r') this.x = 0;
      else if (char === '\n') this.#lineFeed();
      else if (char === '\b') {
        this.x = Math.min(this.x, this.columns - 1);
        if (this.x > 0) this.x -= 1;
      } else if (char === '\x07') continue;
      else if (char < ' ') throw new Error(`VtScreen: unexpected control character ${char.charCodeAt(0)}`);
      else this.#print(char);
    }
  }

  #lineFeed(wrapped = false): void {
    if (this.y === this.height - 1) {
      this.scrollback.push(this.rows.shift() as Row);
      this.rows.push(this.#blankRow());
    } else this.y += 1;
    if (wrapped) (this.rows[this.y] as Row).wrapped = true;
  }

  #print(char: string): void {
    const cells = this.width(char.codePointAt(0) ?? 0);
    if (cells === 0) {
      const row = this.rows[this.y] as Row;
      const column = Math.max(0, this.x - 1);
      row.cells[column] = (row.cells[column] ?? '') + char;
      return;
    }
    if (this.x + cells > this.columns) {
      const row = this.rows[this.y] as Row;
      for (let column = this.x; column < this.columns; column += 1) row.cells[column] = '';
      this.x = 0;
      this.#lineFeed(true);
    }
    const row = this.rows[this.y] as Row;
    // Overwriting half of a wide character blanks its other half.
    if (row.cells[this.x] === WIDE_TAIL && this.x > 0) row.cells[this.x - 1] = '';
    if (row.cells[this.x + cells] === WIDE_TAIL) row.cells[this.x + cells] = '';
    row.cells[this.x] = char;
    row.inverse[this.x] = this.#inverse;
    if (cells === 2) {
      row.cells[this.x + 1] = WIDE_TAIL;
      row.inverse[this.x + 1] = this.#inverse;
    }
    this.x += cells;
  }

  #escape(data: string, index: number): number {
    // eslint-disable-next-line no-control-regex -- escape sequences are what is parsed
    const match = /^\x1b\[([0-9;]*)([A-Za-z])/.exec(data.slice(index));
    if (!match) throw new Error(`VtScreen: unsupported escape ${JSON.stringify(data.slice(index, index + 8))}`);
    const params = (match[1] ?? '').split(';').map((value) => (value === '' ? undefined : Number(value)));
    const first = params[0];
    const count = Math.max(1, first ?? 1);
    switch (match[2]) {
      case 'A':
        this.x = Math.min(this.x, this.columns - 1);
        this.y = Math.max(0, this.y - count);
        break;
      case 'B':
        this.x = Math.min(this.x, this.columns - 1);
        this.y = Math.min(this.height - 1, this.y + count);
        break;
      case 'G':
        this.x = Math.min(this.columns - 1, count - 1);
        break;
      case 'H':
        this.y = Math.min(this.height - 1, count - 1);
        this.x = Math.min(this.columns - 1, Math.max(1, params[1] ?? 1) - 1);
        break;
      case 'K':
        if ((first ?? 0) !== 0) throw new Error('VtScreen: only EL 0 is modelled');
        this.#eraseRow(this.y, this.x);
        break;
      case 'J':
        if ((first ?? 0) === 0) {
          this.#eraseRow(this.y, this.x);
          for (let row = this.y + 1; row < this.height; row += 1) this.rows[row] = this.#blankRow();
        } else if (first === 2) this.rows = this.rows.map(() => this.#blankRow());
        else if (first === 3) this.scrollback.length = 0;
        break;
      case 'm':
        for (const param of params) {
          if (param === undefined || param === 0 || param === 27) this.#inverse = false;
          else if (param === 7) this.#inverse = true;
        }
        break;
      default:
        throw new Error(`VtScreen: unsupported CSI ${match[0]}`);
    }
    return index + match[0].length;
  }

  #eraseRow(rowIndex: number, from: number): void {
    const row = this.rows[rowIndex] as Row;
    for (let column = Math.min(from, this.columns); column < this.columns; column += 1) {
      row.cells[column] = '';
      row.inverse[column] = false;
    }
    if (from === 0) row.wrapped = false;
  }
}
