import type { AppClient } from '../../../core/contract/app-contract';
import { appContract } from '../../../core/contract/app-contract';
import { connectContract } from '../../../core/contract/client';
import { ELECTRON_APP_ORIGIN } from '../../../core/contract/electron-handshake';
import { messagePortTransport, requestElectronPort } from './message-port-transport';
import { openWebSocketTransport } from './websocket-transport';

/** The bridge's WebSocket path (main/bridge/bridge-server.ts). */
const CONTRACT_PATH = '/contract';

export type MainConnection =
  | {
      readonly kind: 'connected';
      readonly services: AppClient;
      readonly onDidDisconnect: (listener: () => void) => void;
    }
  | { readonly kind: 'no-token' }
  | { readonly kind: 'refused' };

/**
 * Where the page's contract goes: `undefined` in Electron (a MessagePort, see electron-handshake.ts), the
 * bridge's WebSocket URL when the page was opened with `#token=…`, or 'no-token' when it was not.
 */
export function contractEndpoint(
  location: Pick<Location, 'origin' | 'host' | 'hash'>,
): 'electron' | 'no-token' | string {
  if (location.origin === ELECTRON_APP_ORIGIN) return 'electron';
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  if (!token) return 'no-token';
  return `ws://${location.host}${CONTRACT_PATH}?token=${encodeURIComponent(token)}`;
}

export async function connectToMain(page: Window): Promise<MainConnection> {
  const endpoint = contractEndpoint(page.location);
  if (endpoint === 'no-token') return { kind: 'no-token' };
  if (endpoint === 'electron') {
    const connection = connectContract(appContract, messagePortTransport(await requestElectronPort(page)));
    return { kind: 'connected', services: connection.services, onDidDisconnect: () => undefined };
  }
  let socket;
  try {
    socket = await openWebSocketTransport(endpoint);
  } catch {
    return { kind: 'refused' };
  }
  const connection = connectContract(appContract, socket, { reportProblem: (problem) => console.warn(problem) });
  return {
    kind: 'connected',
    services: connection.services,
    onDidDisconnect: (listener) => {
      socket.onClose(() => {
        connection.close('The connection to WinRM Desk was lost.');
        listener();
      });
    },
  };
}
