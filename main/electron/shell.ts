import type { AppServices } from '../../core/contract/app-contract';
import { appContract } from '../../core/contract/app-contract';
import { ELECTRON_APP_ORIGIN } from '../../core/contract/electron-handshake';
import type { ContractLogger } from '../../core/contract/server';
import { ContractServer } from '../../core/contract/server';
import { APP_ENTRY_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, serveAppRequest } from './app-protocol';
import { applicationMenuTemplate } from './application-menu';
import type { ShellElectron, ShellMessagePort, ShellWindow } from './electron-api';
import { installPortHandoff } from './port-handoff';
import { hardenWebContents, installPermissionHandlers, secureWebPreferences } from './security';

/** How long quitting waits for the sessions to close and the stores to flush. */
const QUIT_GRACE_MS = 5_000;

export interface ElectronShellOptions {
  /** The built renderer (dist/renderer). */
  readonly rendererDirectory: string;
  /** The bundled preload (dist/main/electron/preload.cjs). */
  readonly preloadPath: string;
  readonly platform: NodeJS.Platform;
  /** The composition root, run once Electron is ready; `close` runs before the app quits. */
  readonly compose: () => Promise<{
    readonly services: AppServices;
    readonly logger: ContractLogger;
    close(): Promise<void>;
  }>;
}

/**
 * The desktop shell: one instance per user, one window showing the app from `app://winrm-desk/`, the
 * security rules of security.ts on every web contents, the contract served over a MessagePort per page.
 * Resolves with the window once its page is loading, or undefined when another instance already runs
 * (which is brought to the front instead).
 */
export async function startElectronShell<Port extends ShellMessagePort>(
  electron: ShellElectron<Port>,
  options: ElectronShellOptions,
): Promise<ShellWindow<Port> | undefined> {
  const { app } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  // Before 'ready', as Electron requires for privileged schemes.
  electron.protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, electron.shell));
  app.on('window-all-closed', () => app.quit());
  const windows = new Map<number, ShellWindow<Port>>();
  app.on('second-instance', () => {
    const [window] = windows.values();
    if (window === undefined) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  await app.whenReady();
  const { services, logger, close } = await options.compose();
  // Quitting waits once for the sessions to close (their shells are deleted on the servers) and the stores to
  // flush, but not longer than QUIT_GRACE_MS: an unreachable host must not keep a windowless app alive.
  let closing: Promise<void> | undefined;
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    closing ??= Promise.race([
      close().catch((error: unknown) => logger.error('closing the app failed', { error: String(error) })),
      new Promise<void>((resolve) => setTimeout(resolve, QUIT_GRACE_MS).unref()),
    ]).then(() => {
      closed = true;
      app.quit();
    });
  });
  electron.protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, options.rendererDirectory));
  installPermissionHandlers(electron.session);
  electron.Menu.setApplicationMenu(electron.Menu.buildFromTemplate(applicationMenuTemplate(options.platform)));
  const server = new ContractServer(appContract, services, {
    logger,
    isAllowedSender: (sender) => sender.origin === ELECTRON_APP_ORIGIN,
  });
  installPortHandoff(electron, { server, logger, isAppWindow: (id) => windows.has(id) });

  const window = new electron.BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 640,
    minHeight: 400,
    show: false,
    title: 'WinRM Desk',
    backgroundColor: '#1e1e1e',
    webPreferences: secureWebPreferences(options.preloadPath),
  });
  const { id } = window.webContents;
  windows.set(id, window);
  window.webContents.once('destroyed', () => windows.delete(id));
  window.once('ready-to-show', () => window.show());
  await window.loadURL(APP_ENTRY_URL);
  return window;
}
