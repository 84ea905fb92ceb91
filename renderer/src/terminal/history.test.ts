import { describe, expect, it } from 'vitest';
import { addToHistory, searchHistory } from './history';

describe('history', () => {
  it('adds entries, skipping blanks and a repeat of the newest, keeping the newest maxLength', () => {
    expect(addToHistory(['a', 'b'], 'b')).toEqual(['a', 'b']);
    expect(addToHistory(['a', 'b'], 'a')).toEqual(['a', 'b', 'a']);
    expect(addToHistory(['a'], ' \t')).toEqual(['a']);
    expect(addToHistory(['a', 'b', 'c'], 'd', 2)).toEqual(['c', 'd']);
  });

  it('searches in either direction from an entry, case-insensitively, treating the query literally', () => {
    const history = ['Get-Item a.txt', 'dir', 'get-item (b)', 'cls'];
    expect(searchHistory(history, 'GET-ITEM', 3, -1)).toEqual({ index: 2, position: 0 });
    expect(searchHistory(history, 'get', 1, -1)).toEqual({ index: 0, position: 0 });
    expect(searchHistory(history, '(b)', 0, 1)).toEqual({ index: 2, position: 9 });
    expect(searchHistory(history, '.', 3, -1)).toEqual({ index: 0, position: 10 });
    expect(searchHistory(history, 'nothing', 3, -1)).toBeUndefined();
    expect(searchHistory(history, '', 3, -1)).toBeUndefined();
  });
});
