import type { Terminal } from '@xterm/xterm';
import {
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
  type CSSProperties,
  type KeyboardEvent as ReactKeyboardEvent,
} from 'react';
import type { AppClient } from '../../../core/contract/app-contract';
import { ContractError } from '../../../core/contract/contract-error';
import type { HostProfile } from '../../../core/contract/host-profile';
import type { SessionSummary } from '../../../core/contract/session-service';
import { ConfirmDialog } from '../dialogs/ConfirmDialog';
import { shownError, type ShownError } from '../dialogs/error-text';
import { ErrorMessage } from '../dialogs/ErrorMessage';
import { HOST_STATUS_LABELS, sessionStatus } from '../hosts/use-sessions';
import { useSettings } from '../settings/SettingsContext';
import { TerminalView } from '../terminal/TerminalView';
import { CommandActivity } from './command-activity';
import './sessions.css';
import { TAB_SHORTCUTS_HELP, tabShortcut } from './tab-keys';
import { useHostHistory } from './use-host-history';
import {
  activateTab,
  closeTab,
  cycleTab,
  letGo,
  moveTab,
  moveTabBy,
  NO_TABS,
  reconnected,
  reconnectEnded,
  reconnectRequested,
  renameTab,
  sessionSeen,
  tabTitle,
  type SessionTab,
  type TabsState,
} from './tab-state';
import { SessionTerminalEvents, sessionTerminalCallbacks } from './terminal-events';

const WAITING_TEXT: Readonly<Partial<Record<SessionSummary['state'], string>>> = {
  connecting: 'Connecting…',
  'awaiting-trust': 'Waiting for your decision about the certificate…',
  'awaiting-credentials': 'Waiting for the password…',
  reconnecting: 'Reconnecting…',
};

/** What a terminal is named after, by the shell it runs. */
const SHELL_NAMES: Readonly<Record<HostProfile['shell'], string>> = { powershell: 'PowerShell', cmd: 'cmd' };

/** A session that ended without the user closing its tab (the tab stays, with Reconnect). */
const isOver = (state: SessionSummary['state']) => state === 'failed' || state === 'disconnected';

export interface SessionTabsProps {
  readonly services: AppClient;
  /** Every session main knows of, in the order they opened. */
  readonly known: ReadonlyMap<string, SessionSummary>;
  /** The saved hosts; undefined until they are known. */
  readonly hosts: readonly HostProfile[] | undefined;
}

/** Where the focus goes once a change to the tabs is on screen. */
type FocusTarget = 'tab' | 'terminal' | undefined;

/**
 * A tab per session and the front tab's terminal (Windows Terminal's tabs, as a WAI-ARIA tab list). Tabs can
 * be renamed (F2 or double-click), moved (keys or drag and drop) and closed (asking first while a command
 * runs); a session that fails or drops keeps its tab, with the reason and Reconnect, which opens a new
 * session to the host in the same tab. Terminals stay mounted in background tabs, and across a reconnect,
 * so their screens are kept. Mount it for the whole life of the app: it keeps every session's terminal
 * events from the first one on.
 */
export function SessionTabs({ services, known, hosts }: SessionTabsProps) {
  const { sessions } = services;
  const [events, setEvents] = useState<SessionTerminalEvents | undefined>();
  useEffect(() => {
    const created = new SessionTerminalEvents(services.sessions);
    setEvents(created);
    return () => created.dispose();
  }, [services]);
  const [activity] = useState(() => new CommandActivity());
  const [state, dispatch] = useReducer(
    (current: TabsState, change: (state: TabsState) => TabsState) => change(current),
    NO_TABS,
  );
  const [renaming, setRenaming] = useState<string | undefined>();
  const [confirmingClose, setConfirmingClose] = useState<string | undefined>();
  const [reconnectErrors, setReconnectErrors] = useState<ReadonlyMap<string, ShownError>>(new Map());
  const tabButtons = useRef(new Map<string, HTMLButtonElement>());
  const terminals = useRef(new Map<string, Terminal>());
  const focusAfterRender = useRef<FocusTarget>(undefined);
  const dragged = useRef<string | undefined>(undefined);
  const hostName = (hostId: string) => hosts?.find((host) => host.id === hostId)?.name ?? 'a deleted host';
  /** The shell a host's sessions run; undefined until the saved hosts are known; PowerShell for a deleted host. */
  const shellOf = (hostId: string): HostProfile['shell'] | undefined =>
    hosts === undefined ? undefined : (hosts.find((host) => host.id === hostId)?.shell ?? 'powershell');

  useEffect(() => {
    for (const session of known.values()) dispatch((current) => sessionSeen(current, session));
  }, [known]);

  /** The state last shown, for handlers that run later (keys, a reconnect's answer). */
  const stateRef = useRef(state);
  useLayoutEffect(() => {
    stateRef.current = state;
  });
  const activeId = state.activeTabId;
  useEffect(() => {
    const target = focusAfterRender.current;
    focusAfterRender.current = undefined;
    if (activeId === undefined || target === undefined) return;
    if (target === 'tab') tabButtons.current.get(activeId)?.focus();
    else terminals.current.get(activeId)?.focus();
  });

  const titleOf = (tab: SessionTab) => tabTitle(tab, hostName(tab.hostId));
  const forgetSession = (sessionId: string) => {
    events?.forget(sessionId);
    activity.forget(sessionId);
    sessions.disconnect({ sessionId }).catch(() => undefined);
  };

  /** The session each reconnecting tab showed before, by tab: let go once the tab shows the new one. */
  const replacedSessions = useRef(new Map<string, string>());
  useEffect(() => {
    for (const [tabId, previous] of replacedSessions.current) {
      const tab = state.tabs.find((candidate) => candidate.id === tabId);
      if (tab === undefined || tab.replacing) continue;
      replacedSessions.current.delete(tabId);
      // A reconnect that ended without a new session leaves the tab on the one it had.
      if (tab.sessionId !== previous) forgetSession(previous);
    }
  });

  const close = (tab: SessionTab) => {
    // The tab as it is now: a reconnect may have put a new session into it since `tab` was read.
    const { sessionId } = stateRef.current.tabs.find((candidate) => candidate.id === tab.id) ?? tab;
    // A reconnect still under way replaces `sessionId`, forgotten below.
    replacedSessions.current.delete(tab.id);
    focusAfterRender.current = 'tab';
    setConfirmingClose(undefined);
    dispatch((current) => closeTab(current, tab.id));
    terminals.current.delete(tab.id);
    forgetSession(sessionId);
  };

  /** Closes at once, or asks first while a command runs. */
  const requestClose = (tab: SessionTab) => {
    const running = known.get(tab.sessionId)?.state === 'connected' && activity.isRunning(tab.sessionId);
    if (running) setConfirmingClose(tab.id);
    else close(tab);
  };

  /** Opens a new session of the tab's host into the tab; the one it showed goes once the new one is in. */
  const reconnect = (tab: SessionTab) => {
    setReconnectErrors((current) => withoutKey(current, tab.id));
    dispatch((current) => reconnectRequested(current, tab.id));
    replacedSessions.current.set(tab.id, tab.sessionId);
    sessions.connect({ hostId: tab.hostId }).then(
      (summary) => {
        if (stateRef.current.tabs.some((candidate) => candidate.id === tab.id)) {
          dispatch((current) => reconnected(current, tab.id, summary.sessionId));
        } else {
          // The tab was closed while the session opened.
          dispatch((current) => letGo(current, summary.sessionId));
          forgetSession(summary.sessionId);
        }
      },
      (error: unknown) => {
        dispatch((current) => reconnectEnded(current, tab.id));
        setReconnectErrors((current) => new Map(current).set(tab.id, shownError(error)));
      },
    );
  };

  // The tab shortcuts work from anywhere, the terminal included (it would take the keys otherwise).
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      const shortcut = tabShortcut(event);
      const current = stateRef.current;
      const active = current.activeTabId;
      if (shortcut === undefined || active === undefined || document.querySelector('dialog[open]') !== null) return;
      event.preventDefault();
      event.stopPropagation();
      const fromTabs = (document.activeElement?.closest('.session-tab-strip') ?? null) !== null;
      focusAfterRender.current = fromTabs ? 'tab' : 'terminal';
      dispatch((latest) =>
        shortcut.kind === 'cycle' ? cycleTab(latest, shortcut.step) : moveTabBy(latest, active, shortcut.by),
      );
    };
    window.addEventListener('keydown', onKeyDown, true);
    return () => window.removeEventListener('keydown', onKeyDown, true);
  }, []);

  const onTabKeyDown = (tab: SessionTab, index: number, event: ReactKeyboardEvent<HTMLButtonElement>) => {
    const to = (target: SessionTab | undefined) => {
      if (target === undefined) return;
      event.preventDefault();
      focusAfterRender.current = 'tab';
      dispatch((current) => activateTab(current, target.id));
    };
    switch (event.key) {
      case 'ArrowRight':
        return to(state.tabs[(index + 1) % state.tabs.length]);
      case 'ArrowLeft':
        return to(state.tabs[(index - 1 + state.tabs.length) % state.tabs.length]);
      case 'Home':
        return to(state.tabs[0]);
      case 'End':
        return to(state.tabs.at(-1));
      case 'F2':
        event.preventDefault();
        return setRenaming(tab.id);
      case 'Delete':
        event.preventDefault();
        return requestClose(tab);
    }
  };

  const confirming = state.tabs.find((tab) => tab.id === confirmingClose);
  if (state.tabs.length === 0 || events === undefined) return null;
  return (
    <div className="session-tabs">
      {/*
        The tab list holds only tabs (ARIA); each tab's close button follows in a list of its own, and the
        strip shows them in pairs through flex order (both lists are display: contents).
      */}
      <div className="session-tab-strip">
        <div role="tablist" aria-label="Sessions" className="session-tab-list">
          {state.tabs.map((tab, index) => {
            const title = titleOf(tab);
            const selected = tab.id === activeId;
            const status = sessionStatus(known.get(tab.sessionId)?.state ?? 'connecting');
            const order = { order: 2 * index };
            return renaming === tab.id ? (
              <RenameField
                key={tab.id}
                title={title}
                style={order}
                onDone={(name) => {
                  setRenaming(undefined);
                  focusAfterRender.current = 'tab';
                  if (name !== undefined) dispatch((current) => renameTab(current, tab.id, name));
                }}
              />
            ) : (
              <button
                key={tab.id}
                type="button"
                role="tab"
                id={`tab-${tab.id}`}
                className="session-tab"
                style={order}
                data-selected={selected}
                ref={(element) => {
                  if (element === null) tabButtons.current.delete(tab.id);
                  else tabButtons.current.set(tab.id, element);
                }}
                aria-selected={selected}
                aria-controls={`panel-${tab.id}`}
                aria-describedby={`tab-status-${tab.id}`}
                tabIndex={selected ? 0 : -1}
                title={`${title} (${HOST_STATUS_LABELS[status]})\n${TAB_SHORTCUTS_HELP}`}
                onClick={() => dispatch((current) => activateTab(current, tab.id))}
                onDoubleClick={() => setRenaming(tab.id)}
                onKeyDown={(event) => onTabKeyDown(tab, index, event)}
                draggable
                onDragStart={(event) => {
                  dragged.current = tab.id;
                  event.dataTransfer.effectAllowed = 'move';
                }}
                onDragOver={(event) => {
                  if (dragged.current !== undefined) event.preventDefault();
                }}
                onDrop={(event) => {
                  event.preventDefault();
                  const moving = dragged.current;
                  dragged.current = undefined;
                  if (moving !== undefined) dispatch((current) => moveTab(current, moving, index));
                }}
                onDragEnd={() => (dragged.current = undefined)}
              >
                <span className={`status-dot status-${status}`} aria-hidden="true" />
                {title}
              </button>
            );
          })}
        </div>
        <div className="session-tab-closers">
          {state.tabs.map((tab, index) => {
            const title = titleOf(tab);
            const selected = tab.id === activeId;
            const status = sessionStatus(known.get(tab.sessionId)?.state ?? 'connecting');
            return (
              <button
                key={tab.id}
                type="button"
                className="session-tab-close"
                style={{ order: 2 * index + 1 }}
                data-selected={selected}
                aria-label={`Close ${title}`}
                title="Close the tab (Delete)"
                tabIndex={selected ? 0 : -1}
                onClick={() => requestClose(tab)}
              >
                ✕
                <span id={`tab-status-${tab.id}`} className="visually-hidden">
                  {HOST_STATUS_LABELS[status]}
                </span>
              </button>
            );
          })}
        </div>
      </div>
      <div className="session-panels">
        {/* The panels keep one order (the tabs' ids): moving a tab never moves its terminal in the page. */}
        {[...state.tabs].sort(byId).map((tab) => (
          <section
            key={tab.id}
            role="tabpanel"
            id={`panel-${tab.id}`}
            aria-labelledby={`tab-${tab.id}`}
            className="session-panel"
            hidden={tab.id !== activeId}
          >
            <SessionPanel
              tab={tab}
              session={known.get(tab.sessionId)}
              sessions={sessions}
              history={services.history}
              events={events}
              activity={activity}
              name={hostName(tab.hostId)}
              shell={shellOf(tab.hostId)}
              reconnectError={reconnectErrors.get(tab.id)}
              onReconnect={() => reconnect(tab)}
              onClose={() => requestClose(tab)}
              onTerminal={(terminal) => terminals.current.set(tab.id, terminal)}
            />
          </section>
        ))}
      </div>
      {confirming === undefined ? null : (
        <ConfirmDialog
          title={`Close ${titleOf(confirming)}?`}
          confirmLabel="Close tab"
          onConfirm={() => close(confirming)}
          onCancel={() => setConfirmingClose(undefined)}
        >
          <p>A command is still running in this tab. Closing the tab stops it and ends the session.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** The tab's name as a text field: Enter keeps it, Escape gives up, leaving the field keeps it too. */
function RenameField({
  title,
  style,
  onDone,
}: {
  readonly title: string;
  readonly style: CSSProperties;
  readonly onDone: (name: string | undefined) => void;
}) {
  const [name, setName] = useState(title);
  const done = useRef(false);
  const finish = (result: string | undefined) => {
    if (done.current) return;
    done.current = true;
    onDone(result);
  };
  return (
    <input
      className="session-tab-rename"
      style={style}
      aria-label={`New name for the tab ${title}`}
      title="Enter: rename · Escape: keep the old name · empty: the host's name"
      value={name}
      size={Math.max(8, name.length)}
      // The field replaces the tab the user just asked to rename.
      autoFocus
      onFocus={(event) => event.currentTarget.select()}
      onChange={(event) => setName(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === 'Enter') finish(name);
        else if (event.key === 'Escape') finish(undefined);
        else return;
        event.preventDefault();
        event.stopPropagation();
      }}
      onBlur={() => finish(name)}
    />
  );
}

function SessionPanel({
  tab,
  session,
  sessions,
  history,
  events,
  activity,
  name,
  shell,
  reconnectError,
  onReconnect,
  onClose,
  onTerminal,
}: {
  readonly tab: SessionTab;
  readonly session: SessionSummary | undefined;
  readonly sessions: AppClient['sessions'];
  readonly history: AppClient['history'];
  readonly events: SessionTerminalEvents;
  readonly activity: CommandActivity;
  readonly name: string;
  readonly shell: HostProfile['shell'] | undefined;
  readonly reconnectError: ShownError | undefined;
  readonly onReconnect: () => void;
  readonly onClose: () => void;
  readonly onTerminal: (terminal: Terminal) => void;
}) {
  const { sessionId } = tab;
  const state = session?.state ?? 'connecting';
  const [callError, setCallError] = useState<{ sessionId: string; error: unknown } | undefined>();
  const source = useMemo(() => activity.watch(sessionId, events.source(sessionId)), [activity, events, sessionId]);
  const callbacks = useMemo(() => {
    const calls = sessionTerminalCallbacks(sessions, sessionId, (error) => setCallError({ sessionId, error }));
    return {
      ...calls,
      onInput: (input: Parameters<typeof calls.onInput>[0]) => {
        activity.input(sessionId, input);
        calls.onInput(input);
      },
    };
  }, [activity, sessions, sessionId]);
  const hostHistory = useHostHistory(history, tab.hostId, (error) => setCallError({ sessionId, error }));
  const { theme, fontFamily, fontSize, scrollback, copyOnSelect } = useSettings();
  // The terminal appears with the first connection once the host's shell is known, and stays (with its screen
  // and that shell: the terminal reads it once) across reconnects and edits of the host.
  const [terminalShell, setTerminalShell] = useState<HostProfile['shell'] | undefined>();
  useEffect(() => {
    if (state === 'connected' && shell !== undefined) setTerminalShell((current) => current ?? shell);
  }, [state, shell]);
  const started = terminalShell !== undefined;

  return (
    <div className="session-panel-body">
      {isOver(state) ? (
        <div className="session-problem">
          {session?.error === undefined ? (
            <p role="status">The session has ended.</p>
          ) : (
            <ErrorMessage error={shownError(ContractError.fromDto(session.error))} />
          )}
          <ErrorMessage error={reconnectError} />
          <div className="session-problem-actions">
            <button type="button" className="primary" disabled={tab.replacing} onClick={onReconnect}>
              {tab.replacing ? 'Reconnecting…' : started ? 'Reconnect' : 'Try again'}
            </button>
            <button type="button" onClick={onClose}>
              Close tab
            </button>
          </div>
        </div>
      ) : state === 'connected' ? null : (
        <p className="session-status" role="status">
          {WAITING_TEXT[state]}
        </p>
      )}
      {callError?.sessionId === sessionId && state === 'connected' ? (
        <ErrorMessage error={shownError(callError.error)} />
      ) : null}
      {terminalShell !== undefined && hostHistory ? (
        <div className="session-terminal">
          <TerminalView
            events={source}
            shell={terminalShell}
            ariaLabel={`${SHELL_NAMES[terminalShell]} on ${name}`}
            theme={theme}
            fontFamily={fontFamily}
            fontSize={fontSize}
            scrollback={scrollback}
            copyOnSelect={copyOnSelect}
            onReady={onTerminal}
            {...callbacks}
            {...hostHistory}
          />
        </div>
      ) : null}
    </div>
  );
}

const byId = (a: SessionTab, b: SessionTab) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function withoutKey<V>(map: ReadonlyMap<string, V>, key: string): ReadonlyMap<string, V> {
  if (!map.has(key)) return map;
  const copy = new Map(map);
  copy.delete(key);
  return copy;
}
