import { useEffect, useRef, useState } from 'react';
import type { AppClient } from '../../core/contract/app-contract';
import type { HostProfile } from '../../core/contract/host-profile';
import type { MainConnection } from './contract/connect-to-main';
import { connectToMain } from './contract/connect-to-main';
import { CredentialDialog } from './dialogs/CredentialDialog';
import type { ShownError } from './dialogs/error-text';
import { shownError } from './dialogs/error-text';
import { ErrorMessage } from './dialogs/ErrorMessage';
import { TrustRequests } from './dialogs/TrustRequests';
import { Sidebar } from './hosts/Sidebar';
import { useHostList } from './hosts/use-host-list';
import { hostStatuses, useSessions } from './hosts/use-sessions';
import { SessionTabs } from './sessions/SessionTabs';
import { SettingsProvider } from './settings/SettingsContext';
import { SettingsPanel } from './settings/SettingsPanel';
import { StorageProblems } from './StorageProblems';

type ConnectionState = MainConnection | { readonly kind: 'connecting' } | { readonly kind: 'lost' };

/** The application frame: connects to main, then shows the sidebar, the session area and the dialogs. */
export function App() {
  const [connection, setConnection] = useState<ConnectionState>({ kind: 'connecting' });

  useEffect(() => {
    let current = true;
    connectToMain(window).then((connected) => {
      if (!current) return;
      setConnection(connected);
      if (connected.kind === 'connected') connected.onDidDisconnect(() => setConnection({ kind: 'lost' }));
    });
    return () => {
      current = false;
    };
  }, []);

  if (connection.kind === 'connected') {
    return (
      <SettingsProvider settings={connection.services.settings}>
        <Desk services={connection.services} />
      </SettingsProvider>
    );
  }
  return (
    <main aria-label="WinRM Desk" className="standalone">
      <h1>WinRM Desk</h1>
      <ConnectionMessage connection={connection} />
    </main>
  );
}

function ConnectionMessage({ connection }: { connection: Exclude<ConnectionState, { kind: 'connected' }> }) {
  switch (connection.kind) {
    case 'connecting':
      return <p role="status">Connecting…</p>;
    case 'no-token':
      return (
        <p>
          Remote PowerShell for Windows servers. Open WinRM Desk through the address <code>npm start</code> prints: it
          carries this run&apos;s access token.
        </p>
      );
    case 'refused':
      return (
        <p role="alert" className="problem">
          WinRM Desk refused this page or is not running. Open the address <code>npm start</code> printed; the token in
          it changes at every start.
        </p>
      );
    case 'lost':
      return (
        <p role="alert" className="problem">
          The connection to WinRM Desk was lost. Start it again and open the new address it prints.
        </p>
      );
  }
}

/** The connected app: sidebar beside the session area; the trust, credential and settings dialogs above. */
function Desk({ services }: { services: AppClient }) {
  const { list, error: listError } = useHostList(services.hosts);
  const sessions = useSessions(services.sessions);
  const [credentialHost, setCredentialHost] = useState<HostProfile | undefined>();
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [connectError, setConnectError] = useState<{ host: string; error: ShownError } | undefined>();
  const promptedSessions = useRef(new Set<string>());

  // A session that waits for a secret opens the credential dialog once.
  useEffect(() => {
    for (const session of sessions.values()) {
      if (session.state !== 'awaiting-credentials' || promptedSessions.current.has(session.sessionId)) continue;
      const host = list?.hosts.find((candidate) => candidate.id === session.hostId);
      if (host === undefined) continue;
      promptedSessions.current.add(session.sessionId);
      setCredentialHost(host);
      return;
    }
  }, [sessions, list]);

  /** Opens a new session to the host, or resumes its session `sessionId` that waits for a secret. */
  const connect = (host: HostProfile, sessionId?: string) => {
    setConnectError(undefined);
    services.sessions
      .connect({ hostId: host.id, ...(sessionId === undefined ? {} : { sessionId }) })
      .catch((error: unknown) => setConnectError({ host: host.name, error: shownError(error) }));
  };

  const statuses = hostStatuses(sessions.values());
  return (
    <div className="desk">
      <header className="app-header">
        <h1>WinRM Desk</h1>
        <button type="button" onClick={() => setSettingsOpen(true)}>
          Settings
        </button>
      </header>
      <StorageProblems storage={services.storage} />
      <div className="desk-body">
        {list === undefined ? (
          <div className="sidebar">
            {listError === undefined ? (
              <p role="status">Loading the saved hosts…</p>
            ) : (
              <ErrorMessage error={listError} />
            )}
          </div>
        ) : (
          <Sidebar
            services={services}
            list={list}
            statuses={statuses}
            onConnect={connect}
            onSetPassword={setCredentialHost}
          />
        )}
        <main className="session-area" aria-label="Sessions">
          {connectError === undefined ? null : (
            <section aria-label={`Connecting to ${connectError.host}`}>
              <h2>Could not connect to {connectError.host}</h2>
              <ErrorMessage error={connectError.error} />
            </section>
          )}
          {sessions.size === 0 && connectError === undefined ? (
            <p className="empty">Choose a host and press Enter (or double-click it) to connect.</p>
          ) : null}
          <SessionTabs services={services} known={sessions} hosts={list?.hosts} />
        </main>
      </div>
      <TrustRequests trust={services.trust} hostList={list} />
      {credentialHost === undefined ? null : (
        <CredentialDialog
          host={credentialHost}
          credentials={services.credentials}
          onDone={(state) => {
            setCredentialHost(undefined);
            // The sessions waiting for this secret go on connecting once it is set (main resumes each once).
            if (state === undefined) return;
            for (const session of sessions.values()) {
              if (session.hostId === credentialHost.id && session.state === 'awaiting-credentials') {
                connect(credentialHost, session.sessionId);
              }
            }
          }}
        />
      )}
      {settingsOpen ? <SettingsPanel onClose={() => setSettingsOpen(false)} /> : null}
    </div>
  );
}
