/**
 * Command history as the line editor uses it: oldest entry first. The session starts from the host's saved
 * history (main keeps it across restarts) and hands back each command line it runs.
 */

export { addToHistory, MAX_HISTORY_ENTRIES as DEFAULT_MAX_HISTORY } from '../../../core/contract/history-service';

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
