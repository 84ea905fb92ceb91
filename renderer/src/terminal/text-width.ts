import { escapeSequenceLength } from './vt';

/**
 * Cells a code point occupies on screen: 0 (combining, joiners), 1 or 2 (East Asian wide, most emoji).
 * The terminal view passes xterm.js's own table (see unicode-width.ts) so every layout computed here
 * matches what xterm draws.
 */
export type CodePointWidth = (codePoint: number) => number;

/** Visits the code points of `text` that are not part of an escape sequence. */
function* visibleCodePoints(text: string): Generator<{ readonly char: string; readonly index: number }> {
  let index = 0;
  while (index < text.length) {
    const escape = escapeSequenceLength(text, index);
    if (escape > 0) {
      index += escape;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(index) ?? 0);
    yield { char, index };
    index += char.length;
  }
}

/** Cells `text` occupies, escape sequences excluded. */
export function textWidth(text: string, width: CodePointWidth): number {
  let total = 0;
  for (const { char } of visibleCodePoints(text)) total += width(char.codePointAt(0) ?? 0);
  return total;
}

/**
 * The longest prefix of `text` (escape sequences kept) that fits in `maxWidth` cells; when text had to be
 * cut and `ellipsis` is given, the prefix ends with it and still fits.
 */
export function truncateToWidth(text: string, maxWidth: number, width: CodePointWidth, ellipsis = ''): string {
  if (textWidth(text, width) <= maxWidth) return text;
  const budget = maxWidth - textWidth(ellipsis, width);
  if (budget < 0) return '';
  let used = 0;
  let end = 0;
  let index = 0;
  while (index < text.length) {
    const escape = escapeSequenceLength(text, index);
    if (escape > 0) {
      index += escape;
      end = index;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(index) ?? 0);
    const cells = width(char.codePointAt(0) ?? 0);
    if (used + cells > budget) break;
    used += cells;
    index += char.length;
    end = index;
  }
  return text.slice(0, end) + ellipsis;
}

/** `text` cut or padded with spaces to exactly `cells` cells (a wide character that would straddle the edge is dropped). */
export function fitToWidth(text: string, cells: number, width: CodePointWidth): string {
  const cut = truncateToWidth(text, cells, width);
  return cut + ' '.repeat(Math.max(0, cells - textWidth(cut, width)));
}

/** Remote text shown on our screen as plain text: control characters (escape sequences included) become spaces. */
export function displayable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
}
