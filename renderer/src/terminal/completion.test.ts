import { describe, expect, it } from 'vitest';
import {
  applyCompletionMatch,
  CompletionCycle,
  completionMenuLines,
  CompletionRangeError,
  type CompletionMatch,
  type CompletionResult,
} from './completion';
import { unicode11Width } from './unicode-width';
import { ProtocolError } from '../../../core/errors';

const width = unicode11Width();

const match = (completionText: string, listItemText = completionText, toolTip = ''): CompletionMatch => ({
  completionText,
  listItemText,
  resultType: 'ProviderItem',
  toolTip,
});

describe('applyCompletionMatch', () => {
  it('replaces the range the remote named and puts the cursor after the inserted text', () => {
    // TabExpansion2 for "dir C:\Pro<cursor> -Force" answers index 4, length 6.
    const result: CompletionResult = {
      replacementIndex: 4,
      replacementLength: 6,
      matches: [match("'C:\\Program Files'", 'Program Files')],
    };
    expect(applyCompletionMatch({ text: 'dir C:\\Pro -Force', cursor: 10 }, result, 0)).toEqual({
      text: "dir 'C:\\Program Files' -Force",
      cursor: 22,
    });
  });

  it('inserts at the cursor when the range is empty', () => {
    const result = { replacementIndex: 3, replacementLength: 0, matches: [match('-Path')] };
    expect(applyCompletionMatch({ text: 'ls ', cursor: 3 }, result, 0)).toEqual({ text: 'ls -Path', cursor: 8 });
  });

  it('rejects a range outside the text as a protocol error of the remote', () => {
    const outside = { replacementIndex: 2, replacementLength: 5, matches: [match('x')] };
    expect(() => applyCompletionMatch({ text: 'abc', cursor: 3 }, outside, 0)).toThrow(CompletionRangeError);
    expect(() => applyCompletionMatch({ text: 'abc', cursor: 3 }, { ...outside, replacementIndex: -1 }, 0)).toThrow(
      ProtocolError,
    );
    expect(() => applyCompletionMatch({ text: 'abc', cursor: 3 }, { ...outside, replacementLength: 0 }, 3)).toThrow(
      /no match 3/,
    );
  });
});

describe('CompletionCycle', () => {
  const result: CompletionResult = {
    replacementIndex: 0,
    replacementLength: 5,
    matches: [match('Get-Acl'), match('Get-Alias'), match('Get-AppLockerPolicy')],
  };

  it('steps forwards and backwards around the matches, always from the original text', () => {
    const cycle = new CompletionCycle({ text: 'Get-A | x', cursor: 5 }, result);
    expect(cycle.current).toEqual({ text: 'Get-Acl | x', cursor: 7 });
    expect(cycle.step(1).text).toBe('Get-Alias | x');
    expect(cycle.step(1).text).toBe('Get-AppLockerPolicy | x');
    expect(cycle.step(1).text).toBe('Get-Acl | x');
    expect(cycle.step(-1).text).toBe('Get-AppLockerPolicy | x');
    expect(cycle.index).toBe(2);
  });

  it('refuses a result that does not fit before anything changes', () => {
    expect(() => new CompletionCycle({ text: 'Get', cursor: 3 }, result)).toThrow(CompletionRangeError);
  });
});

describe('completionMenuLines', () => {
  const result: CompletionResult = {
    replacementIndex: 0,
    replacementLength: 1,
    matches: ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'].map((name) => match(name)),
  };

  it('fills a grid column by column, the selected item in inverse video, no line as wide as the screen', () => {
    const lines = completionMenuLines(result, 3, { columns: 30, width, maxRows: 10 });
    // Columns as wide as the longest name plus a space before the next one.
    expect(lines).toEqual(['alpha    \x1b[7mdelta   \x1b[27m eta', 'beta     epsilon', 'gamma    zeta']);
  });

  it('shows the rows around the selection when the grid is taller than allowed, with the position', () => {
    const lines = completionMenuLines(result, 6, { columns: 10, width, maxRows: 2 });
    expect(lines).toEqual(['zeta', '\x1b[7meta     \x1b[27m', '(7 of 7)']);
  });

  it('adds the tooltip of the selected item when it says more, shortened to fit', () => {
    const withTips = {
      ...result,
      matches: [match('Get-Item', 'Get-Item', 'Get-Item [-Path] <string[]> [-Filter <string>] [-Force]')],
    };
    const lines = completionMenuLines(withTips, 0, { columns: 30, width, maxRows: 10 });
    expect(lines).toEqual(['\x1b[7mGet-Item \x1b[27m', 'Get-Item [-Path] <string[]> …']);
  });

  it('shows wide names aligned and never lets the remote write escape sequences', () => {
    const lines = completionMenuLines(
      { replacementIndex: 0, replacementLength: 0, matches: [match('日本語'), match('x\x1b[2Jy')] },
      1,
      { columns: 40, width, maxRows: 10 },
    );
    expect(lines).toEqual(['日本語  \x1b[7mx [2Jy \x1b[27m']);
  });
});
