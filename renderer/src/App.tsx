import { useEffect, useState } from 'react';
import type { MainConnection } from './contract/connect-to-main';
import { connectToMain } from './contract/connect-to-main';
import { AddHostForm } from './hosts/AddHostForm';
import { HostList } from './hosts/HostList';
import { StorageProblems } from './StorageProblems';

type ConnectionState = MainConnection | { readonly kind: 'connecting' } | { readonly kind: 'lost' };

/** The application frame: connects to main, then shows the saved hosts. Tabs and terminals come later. */
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

  return (
    <main aria-label="WinRM Desk">
      <h1>WinRM Desk</h1>
      <Content connection={connection} />
    </main>
  );
}

function Content({ connection }: { connection: ConnectionState }) {
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
    case 'connected':
      return (
        <>
          <StorageProblems storage={connection.services.storage} />
          <HostList hosts={connection.services.hosts} />
          <AddHostForm hosts={connection.services.hosts} />
        </>
      );
  }
}
