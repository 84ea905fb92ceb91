/**
 * Command history as the line editor uses it: oldest entry first. The caller keeps it per host and
 * hands it back with each new prompt.
 */

export const DEFAULT_MAX_HISTORY = 4096;

/** `history` with `entry` appended: blank lines and a repeat of the newest entry are not added, the oldest fall off past `maxLength`. */
export function addToHistory(history: readonly string[], entry: string, maxLength = DEFAULT_MAX_HISTORY): string[] {
  if (entry.trim() === '' || history.at(-1) === entry) return history.slice(-maxLength);
  return [...history, entry].slice(-maxLength);
}

export interface HistoryMatch {
  readonly index: number;
  /** Offset of the match within the entry. */
  readonly position: number;
}

/**
 * The nearest entry containing `query` (case-insensitively, as PSReadLine does by default), searching
 * from `from` towards older entries (`direction` -1) or newer ones (+1), `from` included.
 */
export function searchHistory(
  history: readonly string[],
  query: string,
  from: number,
  direction: -1 | 1,
): HistoryMatch | undefined {
  if (query === '') return undefined;
  // A case-insensitive regular expression compares without changing lengths, so positions stay exact.
  const pattern = new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'iu');
  for (let index = from; index >= 0 && index < history.length; index += direction) {
    const position = (history[index] as string).search(pattern);
    if (position >= 0) return { index, position };
  }
  return undefined;
}
