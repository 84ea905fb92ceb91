/** Cursor movement over the editor's text: user-perceived characters, words and lines. */

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Offsets where a grapheme cluster starts, plus the text's length. */
function graphemeBoundaries(text: string): number[] {
  const boundaries = Array.from(graphemes.segment(text), (segment) => segment.index);
  boundaries.push(text.length);
  return boundaries;
}

export function previousGrapheme(text: string, offset: number): number {
  let previous = 0;
  for (const boundary of graphemeBoundaries(text)) {
    if (boundary >= offset) break;
    previous = boundary;
  }
  return previous;
}

export function nextGrapheme(text: string, offset: number): number {
  return graphemeBoundaries(text).find((boundary) => boundary > offset) ?? text.length;
}

/** PSReadLine's default word delimiters, besides whitespace. */
const WORD_DELIMITERS: ReadonlySet<string> = new Set(';:,.[]{}()/\\|!?^&*-=+\'"\u2013\u2014\u2015');

/** 0 whitespace, 1 delimiter, 2 word character: a word is a run of one class other than whitespace. */
function characterClass(char: string | undefined): 0 | 1 | 2 {
  if (char === undefined || /\s/.test(char)) return 0;
  return WORD_DELIMITERS.has(char) ? 1 : 2;
}

/** The start of the next word (Ctrl+Right): past the rest of this word and the whitespace after it. */
export function nextWordStart(text: string, offset: number): number {
  let index = offset;
  const current = characterClass(text[index]);
  if (current !== 0) while (index < text.length && characterClass(text[index]) === current) index += 1;
  while (index < text.length && characterClass(text[index]) === 0) index += 1;
  return index;
}

/** The start of this or the previous word (Ctrl+Left). */
export function previousWordStart(text: string, offset: number): number {
  let index = offset;
  while (index > 0 && characterClass(text[index - 1]) === 0) index -= 1;
  const current = characterClass(text[index - 1]);
  while (index > 0 && characterClass(text[index - 1]) === current) index -= 1;
  return index;
}

/** The start of the whitespace-delimited word before the cursor (Ctrl+W, unix-word-rubout). */
export function previousWhitespaceWordStart(text: string, offset: number): number {
  let index = offset;
  while (index > 0 && /\s/.test(text[index - 1] as string)) index -= 1;
  while (index > 0 && !/\s/.test(text[index - 1] as string)) index -= 1;
  return index;
}

export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

export function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end < 0 ? text.length : end;
}

/** The offset on the line above (`direction` -1) or below (+1) at the same distance from its start, clamped. */
export function verticalMove(text: string, offset: number, direction: -1 | 1): number | undefined {
  const start = lineStart(text, offset);
  const column = offset - start;
  if (direction < 0) {
    if (start === 0) return undefined;
    const above = lineStart(text, start - 1);
    return Math.min(above + column, start - 1);
  }
  const end = lineEnd(text, offset);
  if (end === text.length) return undefined;
  return Math.min(end + 1 + column, lineEnd(text, end + 1));
}
