import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { AppClient } from '../../../core/contract/app-contract';
import { ContractError } from '../../../core/contract/contract-error';
import { MAX_HISTORY_LINE_LENGTH } from '../../../core/contract/history-service';
import type { TerminalViewProps } from '../terminal/TerminalView';

export type HostHistoryProps = Required<Pick<TerminalViewProps, 'history' | 'onHistoryChange'>>;

/**
 * A terminal's share of the host's saved command history: the lines main kept from earlier sessions, and
 * each command line run handed back to be saved (main leaves out secret-looking lines). Undefined until the
 * history has loaded, so the terminal's first prompt already has it; loaded once per host, since handing the
 * terminal a new history would replace the lines its session added. When the history file is unreadable the
 * storage banner says so and the session starts with an empty history; other failures go to `onError`.
 */
export function useHostHistory(
  history: AppClient['history'],
  hostId: string,
  onError: (error: unknown) => void,
): HostHistoryProps | undefined {
  const [loaded, setLoaded] = useState<readonly string[] | undefined>();
  const reportRef = useRef(onError);
  useLayoutEffect(() => {
    reportRef.current = onError;
  });

  useEffect(() => {
    let current = true;
    history.list({ hostId }).then(
      (lines) => current && setLoaded(lines),
      (error: unknown) => {
        if (!current) return;
        setLoaded([]);
        reportUnlessUnavailable(error, reportRef.current);
      },
    );
    return () => {
      current = false;
    };
  }, [history, hostId]);

  return useMemo(
    () =>
      loaded && {
        history: loaded,
        onHistoryChange: (_history: readonly string[], entry: string) => {
          // A longer line (a pasted script) stays in this session's memory only.
          if (entry.length > MAX_HISTORY_LINE_LENGTH) return;
          history
            .append({ hostId, line: entry })
            .catch((error: unknown) => reportUnlessUnavailable(error, reportRef.current));
        },
      },
    [loaded, history, hostId],
  );
}

/** An unreadable store is already reported by the storage banner, once rather than per command. */
function reportUnlessUnavailable(error: unknown, onError: (error: unknown) => void): void {
  if (!(error instanceof ContractError && error.code === 'store-unavailable')) onError(error);
}
