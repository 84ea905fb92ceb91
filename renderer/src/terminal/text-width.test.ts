import { describe, expect, it } from 'vitest';
import { displayable, fitToWidth, textWidth, truncateToWidth } from './text-width';
import { unicode11Width } from './unicode-width';

const width = unicode11Width();

describe('unicode11Width', () => {
  it('is the table xterm draws with: CJK and emoji wide, combining marks and joiners empty', () => {
    expect(['a', '日', '😀', '\u0301', '\u200d', '\ufe0f'].map((char) => width(char.codePointAt(0) ?? 0))).toEqual([
      1, 2, 2, 0, 0, 0,
    ]);
  });
});

describe('text measuring', () => {
  it('counts cells, ignoring escape sequences', () => {
    expect(textWidth('\x1b[31;1m日本\x1b[0m ok\x1b]0;title\x07', width)).toBe(7);
  });

  it('truncates without splitting a wide character, with an ellipsis that fits', () => {
    expect(truncateToWidth('日本語テキスト', 5, width)).toBe('日本');
    expect(truncateToWidth('abcdef', 4, width, '…')).toBe('abc…');
    expect(truncateToWidth('abc', 4, width, '…')).toBe('abc');
    expect(truncateToWidth('\x1b[7mabcdef', 2, width)).toBe('\x1b[7mab');
  });

  it('pads to an exact width', () => {
    expect(fitToWidth('日本語', 5, width)).toBe('日本 ');
    expect(fitToWidth('ab', 4, width)).toBe('ab  ');
  });

  it('turns control characters of remote text into spaces', () => {
    expect(displayable('a\x1b[2J\r\nb\x9b')).toBe('a [2J  b ');
  });
});
