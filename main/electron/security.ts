import type { BrowserWindowConstructorOptions } from 'electron';
import { ELECTRON_APP_ORIGIN } from '../../core/contract/electron-handshake';
import type { ShellElectron, ShellMessagePort, ShellWebContents } from './electron-api';

/**
 * The shell's security rules (DESIGN.md §7; Electron's security checklist): isolated, sandboxed pages
 * without Node, that never navigate, never open windows, never embed web views and get no permission
 * they do not need. Links to the web open in the user's browser, and only https ones.
 */

/** The webPreferences of every window; the preload is the only addition. */
export function secureWebPreferences(
  preloadPath: string,
): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    experimentalFeatures: false,
    spellcheck: false,
  };
}

/** Opens `url` in the system browser when it is a plain https URL; refuses (false) anything else. */
export function openExternalSafely(shell: ShellElectron<ShellMessagePort>['shell'], url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '' || parsed.hostname === '') {
    return false;
  }
  void shell.openExternal(parsed.href).catch(() => undefined);
  return true;
}

/** Applied to every web contents the app creates (app 'web-contents-created'), windows and anything else. */
export function hardenWebContents<Port extends ShellMessagePort>(
  contents: ShellWebContents<Port>,
  shell: ShellElectron<Port>['shell'],
): void {
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(shell, url);
    return { action: 'deny' };
  });
  // The app is one page: any navigation is a link to elsewhere, which belongs in the browser.
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    openExternalSafely(shell, url);
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * Permissions the app's own pages may have; everything else, and anything for another origin, is denied.
 * Writing to the clipboard serves copy-on-select in the terminal.
 */
const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export function isPermissionGranted(permission: string, requestingOrigin: string | undefined): boolean {
  return requestingOrigin === ELECTRON_APP_ORIGIN && GRANTED_PERMISSIONS.has(permission);
}

export function installPermissionHandlers(session: ShellElectron<ShellMessagePort>['session']): void {
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const origin = details.requestingUrl === undefined ? undefined : originOf(details.requestingUrl);
    callback(isPermissionGranted(permission, origin));
  });
  session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    isPermissionGranted(permission, originOf(requestingOrigin)),
  );
}

/** Scheme and host; not `URL.origin`, which Node's URL gives as "null" for a custom scheme such as app:. */
function originOf(url: string): string | undefined {
  try {
    const { protocol, host } = new URL(url);
    return `${protocol}//${host}`;
  } catch {
    return undefined;
  }
}
