import type { AppContract } from '../../core/contract/app-contract';
import type { Disposable } from '../../core/contract/transport';
import type { ContractLogger, ContractServer } from '../../core/contract/server';
import { ELECTRON_APP_ORIGIN, ELECTRON_HANDSHAKE } from '../../core/contract/electron-handshake';
import type { ShellElectron, ShellIpcEvent, ShellMessagePort } from './electron-api';
import { messagePortMainTransport } from './message-port-transport';

/**
 * Main's half of the handshake in core/contract/electron-handshake.ts. A port is given only to the main
 * frame of one of our windows showing our origin; a page asking again (a reload) gets a new port and its
 * previous connection is closed.
 */
export function installPortHandoff<Port extends ShellMessagePort>(
  electron: Pick<ShellElectron<Port>, 'ipcMain' | 'MessageChannelMain'>,
  options: {
    readonly server: ContractServer<AppContract>;
    readonly logger: ContractLogger;
    /** Whether web contents `id` is one of the app's windows. */
    readonly isAppWindow: (id: number) => boolean;
  },
): void {
  const served = new Map<number, { readonly port: Port; readonly connection: Disposable }>();
  const release = (id: number) => {
    const previous = served.get(id);
    if (previous === undefined) return;
    served.delete(id);
    previous.connection.dispose();
    previous.port.close();
  };

  electron.ipcMain.on(ELECTRON_HANDSHAKE.REQUEST_PORT, (event: ShellIpcEvent<Port>) => {
    const { sender, senderFrame } = event;
    const refuse = (reason: string) =>
      options.logger.warn('electron: refused a port request', { reason, webContents: sender.id });
    if (!options.isAppWindow(sender.id)) return refuse('not an app window');
    if (senderFrame === null || senderFrame !== sender.mainFrame) return refuse('not the main frame');
    if (senderFrame.origin !== ELECTRON_APP_ORIGIN) return refuse(`origin ${senderFrame.origin}`);
    const firstRequest = !served.has(sender.id);
    release(sender.id);
    const { port1, port2 } = new electron.MessageChannelMain();
    const connection = options.server.accept(messagePortMainTransport(port1), {
      origin: senderFrame.origin,
      description: `window ${sender.id}`,
    });
    served.set(sender.id, { port: port1, connection });
    if (firstRequest) sender.once('destroyed', () => release(sender.id));
    sender.postMessage(ELECTRON_HANDSHAKE.DELIVER_PORT, null, [port2]);
  });
}
