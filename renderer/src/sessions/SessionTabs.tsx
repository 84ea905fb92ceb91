import { useEffect, useMemo, useState } from 'react';
import type { AppClient } from '../../../core/contract/app-contract';
import { ContractError } from '../../../core/contract/contract-error';
import type { SessionSummary } from '../../../core/contract/session-service';
import { shownError } from '../dialogs/error-text';
import { ErrorMessage } from '../dialogs/ErrorMessage';
import { useSettings } from '../settings/SettingsContext';
import { TerminalView } from '../terminal/TerminalView';
import './sessions.css';
import { SessionTerminalEvents, sessionTerminalCallbacks } from './terminal-events';

const STATE_TEXT: Readonly<Record<SessionSummary['state'], string>> = {
  connecting: 'Connecting…',
  'awaiting-trust': 'Waiting for your decision about the certificate…',
  'awaiting-credentials': 'Waiting for the password…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  disconnected: 'Disconnected',
  failed: 'The connection failed.',
};

export interface SessionTabsProps {
  readonly services: AppClient;
  /** Every session main knows of, in the order they opened. */
  readonly known: ReadonlyMap<string, SessionSummary>;
  readonly hostName: (hostId: string) => string;
}

/**
 * A tab per session (title: the host's name; a close button disconnects it) and the active session's
 * terminal. Terminals stay mounted while their tab is in the background, so their screens are kept. Mount
 * it for the whole life of the app: it keeps every session's terminal events from the first one on.
 */
export function SessionTabs({ services, known, hostName }: SessionTabsProps) {
  const { sessions } = services;
  const [events, setEvents] = useState<SessionTerminalEvents | undefined>();
  useEffect(() => {
    const created = new SessionTerminalEvents(services.sessions);
    setEvents(created);
    return () => created.dispose();
  }, [services]);
  const [active, setActive] = useState<string | undefined>();
  const [closed, setClosed] = useState<ReadonlySet<string>>(new Set());
  const open = [...known.values()].filter((session) => !closed.has(session.sessionId));
  const shown = open.find((session) => session.sessionId === active) ?? open.at(-1);

  // A newly opened session comes to the front.
  const newest = open.at(-1)?.sessionId;
  useEffect(() => setActive(newest), [newest]);

  const close = (sessionId: string) => {
    setClosed((current) => new Set(current).add(sessionId));
    events?.forget(sessionId);
    sessions.disconnect({ sessionId }).catch(() => undefined);
  };

  if (open.length === 0 || events === undefined) return null;
  return (
    <div className="session-tabs">
      <div role="tablist" aria-label="Sessions" className="session-tab-list">
        {open.map((session) => {
          const name = hostName(session.hostId);
          const selected = session.sessionId === shown?.sessionId;
          return (
            <div key={session.sessionId} className="session-tab" data-selected={selected}>
              <button
                type="button"
                role="tab"
                id={`tab-${session.sessionId}`}
                aria-selected={selected}
                aria-controls={`panel-${session.sessionId}`}
                onClick={() => setActive(session.sessionId)}
              >
                {name}
              </button>
              <button type="button" aria-label={`Close ${name}`} onClick={() => close(session.sessionId)}>
                ✕
              </button>
            </div>
          );
        })}
      </div>
      {open.map((session) => (
        <section
          key={session.sessionId}
          role="tabpanel"
          id={`panel-${session.sessionId}`}
          aria-labelledby={`tab-${session.sessionId}`}
          className="session-panel"
          hidden={session.sessionId !== shown?.sessionId}
        >
          <SessionPanel session={session} sessions={sessions} events={events} name={hostName(session.hostId)} />
        </section>
      ))}
    </div>
  );
}

function SessionPanel({
  session,
  sessions,
  events,
  name,
}: {
  readonly session: SessionSummary;
  readonly sessions: AppClient['sessions'];
  readonly events: SessionTerminalEvents;
  readonly name: string;
}) {
  const { sessionId } = session;
  const [error, setError] = useState<unknown>();
  const source = useMemo(() => events.source(sessionId), [events, sessionId]);
  const callbacks = useMemo(() => sessionTerminalCallbacks(sessions, sessionId, setError), [sessions, sessionId]);
  const { theme, fontFamily, fontSize, scrollback, copyOnSelect } = useSettings();
  const [started, setStarted] = useState(false);
  useEffect(() => {
    if (session.state === 'connected') setStarted(true);
  }, [session.state]);

  return (
    <div className="session-panel-body">
      {session.state === 'connected' ? null : (
        <div className="session-status" role="status">
          {STATE_TEXT[session.state]}
          <ErrorMessage error={session.error && shownError(ContractError.fromDto(session.error))} />
        </div>
      )}
      {error === undefined ? null : <ErrorMessage error={shownError(error)} />}
      {started ? (
        <div className="session-terminal">
          <TerminalView
            events={source}
            ariaLabel={`PowerShell on ${name}`}
            theme={theme}
            fontFamily={fontFamily}
            fontSize={fontSize}
            scrollback={scrollback}
            copyOnSelect={copyOnSelect}
            {...callbacks}
          />
        </div>
      ) : null}
    </div>
  );
}
