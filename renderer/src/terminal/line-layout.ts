import { cursorDown, cursorToColumn, cursorUp, ERASE_BELOW, ERASE_LINE_RIGHT, SGR_RESET } from './vt';

/**
 * Layout of what the line editor draws (prompt, input, hints below it) as xterm.js places it, and the
 * shortest redraw from one layout to the next. Rows count from the row the drawing starts on.
 */

export interface Position {
  readonly row: number;
  /** 0-based; equal to the column count when a row was filled and the terminal's wrap is pending. */
  readonly column: number;
}

export type DisplayUnit =
  /** Printable text occupying `width` cells (one code point, or a pre-measured run that never wraps). */
  | { readonly kind: 'cell'; readonly text: string; readonly width: number; readonly offset?: number }
  /** An escape sequence: no cell, no movement. An empty one only marks `offset`. */
  | { readonly kind: 'escape'; readonly text: string; readonly offset?: number }
  /** A hard line break: the rest of the row is erased and drawing goes on at the start of the next, erased too. */
  | { readonly kind: 'break'; readonly offset?: number }
  /**
   * Ends a row the text filled exactly. The terminal then waits to wrap with the cursor parked on the
   * last cell, a position no cursor movement can return to; writing a space makes it wrap (marking the
   * next row as the continuation of this one) and a backspace returns to that row's start. The space
   * stays: erasing from column 0 would also clear xterm's continuation mark, which copy and reflow need.
   */
  | { readonly kind: 'settle' };

export interface PlacedUnit {
  readonly unit: DisplayUnit;
  /** What is written for it here (a break or settle depends on where it lands). */
  readonly text: string;
  /** The cursor before writing it. */
  readonly before: Position;
  /** Where its first cell lands (the next row's start when it does not fit on this one). */
  readonly start: Position;
  /** The SGR sequences in effect before it, since the last reset. */
  readonly style: string;
}

export interface Frame {
  readonly columns: number;
  readonly units: readonly PlacedUnit[];
  /** The cursor after writing every unit. */
  readonly end: Position;
  /** Whether `end` is at the start of a row that continues the one above (after a settle). */
  readonly endOnContinuation: boolean;
  /** Where the cursor is shown once drawn. */
  readonly cursor: Position;
}

// eslint-disable-next-line no-control-regex -- an SGR sequence starts with ESC
const SGR = /^\x1b\[[\d;:]*m$/;
const SGR_RESETS: ReadonlySet<string> = new Set([SGR_RESET, '\x1b[m']);

/** Places `units` from `start` on a screen `columns` wide, with the autowrap rules of xterm.js. */
export function placeUnits(units: readonly DisplayUnit[], columns: number, start: Position): Omit<Frame, 'cursor'> {
  const placed: PlacedUnit[] = [];
  let row = start.row;
  let column = start.column;
  let style = '';
  let continuation = false;
  for (const unit of units) {
    const before = { row, column };
    let text = '';
    let first = before;
    switch (unit.kind) {
      case 'cell':
        text = unit.text;
        if (column + unit.width > columns) first = { row: row + 1, column: 0 };
        row = first.row;
        column = first.column + unit.width;
        continuation ||= first !== before;
        break;
      case 'escape':
        text = unit.text;
        break;
      case 'break':
        // The next row is erased too: from column 0 that also clears a continuation mark left by an
        // earlier drawing, since a hard break starts a line of its own.
        text = `${eraseRowRest({ row, column }, columns, continuation)}\r\n${ERASE_LINE_RIGHT}`;
        row += 1;
        column = 0;
        continuation = false;
        break;
      case 'settle':
        if (column >= columns) {
          text = ' \b';
          row += 1;
          column = 0;
          continuation = true;
        }
        break;
    }
    placed.push({ unit, text, before, start: first, style });
    if (unit.kind === 'escape' && SGR.test(unit.text)) style = SGR_RESETS.has(unit.text) ? '' : style + unit.text;
  }
  return { columns, units: placed, end: { row, column }, endOnContinuation: continuation && column === 0 };
}

/**
 * Erases the rest of the row from `at`. At the start of a continuation row it spares the settle's space
 * in column 0: xterm clears the continuation mark when an erase starts in column 0.
 */
function eraseRowRest(at: Position, columns: number, continuation: boolean): string {
  if (at.column >= columns) return '';
  return at.column === 0 && continuation ? `${cursorToColumn(1)}${ERASE_LINE_RIGHT}` : ERASE_LINE_RIGHT;
}

/** Erases everything after the frame's end, the same way. */
function eraseAfter(frame: Omit<Frame, 'cursor'>): string {
  return frame.endOnContinuation ? `${cursorToColumn(1)}${ERASE_BELOW}\r` : ERASE_BELOW;
}

/** Where the cursor stands for buffer `offset`: the start of the first unit carrying it. */
export function positionOfOffset(frame: Omit<Frame, 'cursor'>, offset: number): Position | undefined {
  return frame.units.find((placed) => 'offset' in placed.unit && placed.unit.offset === offset)?.start;
}

export function comparePositions(a: Position, b: Position): number {
  return a.row !== b.row ? a.row - b.row : a.column - b.column;
}

/** Relative moves from one position to another; neither may be a pending wrap. */
export function moveCursor(from: Position, to: Position): string {
  const vertical = to.row < from.row ? cursorUp(from.row - to.row) : cursorDown(to.row - from.row);
  return vertical + (to.column !== from.column ? cursorToColumn(to.column) : '');
}

function sameUnit(a: PlacedUnit | undefined, b: PlacedUnit | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return (
    a.text === b.text &&
    a.unit.kind === b.unit.kind &&
    ('offset' in a.unit ? a.unit.offset : undefined) === ('offset' in b.unit ? b.unit.offset : undefined) &&
    comparePositions(a.start, b.start) === 0 &&
    comparePositions(a.before, b.before) === 0
  );
}

/**
 * What turns the screen showing `previous` (cursor at its `cursor`) into `next`: the units from the
 * first difference on are rewritten, leftovers erased, and the cursor placed. Without `previous` the
 * whole frame is drawn from its start, where the cursor must be.
 */
export function renderFrame(previous: Frame | undefined, next: Frame): string {
  if (previous === undefined) {
    return next.units.map((placed) => placed.text).join('') + eraseAfter(next) + moveCursor(next.end, next.cursor);
  }
  let first = 0;
  while (first < next.units.length && sameUnit(previous.units[first], next.units[first])) first += 1;
  if (first === next.units.length && first === previous.units.length) return moveCursor(previous.cursor, next.cursor);
  // Never restart on a pending wrap: rewrite from the unit that filled the row instead.
  const writePosition = (index: number): Position => next.units[index]?.before ?? next.end;
  while (first > 0 && writePosition(first).column >= next.columns) first -= 1;

  const from = writePosition(first);
  const rewrite = next.units.slice(first);
  let output = moveCursor(previous.cursor, from) + (next.units[first]?.style ?? '');
  output += rewrite.map((placed) => placed.text).join('');
  if (comparePositions(previous.end, next.end) > 0) output += eraseAfter(next);
  return output + moveCursor(next.end, next.cursor);
}
