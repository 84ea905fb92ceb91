import { useEffect, useState } from 'react';
import type { AppClient } from '../../../core/contract/app-contract';
import type { SessionSummary } from '../../../core/contract/session-service';

/** Every session main knows of, by id, kept current through onDidChangeSessionState. */
export function useSessions(sessions: AppClient['sessions']): ReadonlyMap<string, SessionSummary> {
  const [known, setKnown] = useState<ReadonlyMap<string, SessionSummary>>(new Map());
  useEffect(() => {
    const subscription = sessions.onDidChangeSessionState((summary) =>
      setKnown((current) => new Map(current).set(summary.sessionId, summary)),
    );
    sessions.list().then(
      (listed) => setKnown((current) => new Map([...listed.map((s) => [s.sessionId, s] as const), ...current])),
      () => undefined,
    );
    return () => subscription.dispose();
  }, [sessions]);
  return known;
}

export type HostStatus = 'connected' | 'connecting' | 'failed' | 'not-connected';

export const HOST_STATUS_LABELS: Readonly<Record<HostStatus, string>> = {
  connected: 'connected',
  connecting: 'connecting',
  failed: 'connection failed',
  'not-connected': 'not connected',
};

/** The status a session's state shows as (every waiting state counts as connecting). */
export function sessionStatus(state: SessionSummary['state']): HostStatus {
  switch (state) {
    case 'connected':
    case 'failed':
      return state;
    case 'disconnected':
      return 'not-connected';
    default:
      return 'connecting';
  }
}

/** One status per host for its dot: connected if any session is, else connecting, else failed. */
export function hostStatuses(sessions: Iterable<SessionSummary>): ReadonlyMap<string, HostStatus> {
  const rank: Record<HostStatus, number> = { connected: 3, connecting: 2, failed: 1, 'not-connected': 0 };
  const statuses = new Map<string, HostStatus>();
  for (const session of sessions) {
    const status = sessionStatus(session.state);
    if (rank[status] > rank[statuses.get(session.hostId) ?? 'not-connected']) statuses.set(session.hostId, status);
  }
  return statuses;
}
