/** The few VT (ECMA-48 / xterm) control sequences the terminal modules write. */

const CSI = '\x1b[';

export const SGR_RESET = `${CSI}0m`;
export const SGR_INVERSE = `${CSI}7m`;
export const SGR_INVERSE_OFF = `${CSI}27m`;
/** Erase from the cursor to the end of the line (EL 0). */
export const ERASE_LINE_RIGHT = `${CSI}K`;
/** Erase from the cursor to the end of the screen (ED 0). */
export const ERASE_BELOW = `${CSI}J`;
/** Home the cursor, erase the screen and the scrollback. */
export const CLEAR_SCREEN_AND_SCROLLBACK = `${CSI}H${CSI}2J${CSI}3J`;
/** Home the cursor and erase the screen, keeping the scrollback. */
export const CLEAR_SCREEN = `${CSI}H${CSI}2J`;

export function cursorUp(rows: number): string {
  return rows > 0 ? `${CSI}${rows}A` : '';
}

export function cursorDown(rows: number): string {
  return rows > 0 ? `${CSI}${rows}B` : '';
}

/** Moves to a 0-based column of the current row (CHA counts from 1; CR is the short form of column 0). */
export function cursorToColumn(column: number): string {
  return column === 0 ? '\r' : `${CSI}${column + 1}G`;
}

/**
 * One escape sequence at the start of the match: CSI (with parameters and intermediates), OSC ended by
 * BEL or ST, or a two-byte ESC sequence. They occupy no cell on screen.
 */
// eslint-disable-next-line no-control-regex -- escape sequences are made of control characters
const ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/y;

/** Length of the escape sequence starting at `index`, or 0 when none starts there. */
export function escapeSequenceLength(text: string, index: number): number {
  ESCAPE_SEQUENCE.lastIndex = index;
  const match = ESCAPE_SEQUENCE.exec(text);
  return match ? match[0].length : 0;
}
