import type { BrowserWindowConstructorOptions, CustomScheme, MenuItemConstructorOptions } from 'electron';

/**
 * The part of Electron the shell uses, as our own narrow interface: main.ts passes the real `electron`
 * module (the compiler checks that it fits), tests pass a fake. Members are declared as methods so the
 * real, wider signatures are accepted. Nothing else in the shell touches `electron`.
 */

export interface ShellEvent {
  preventDefault(): void;
}

export interface ShellFrame {
  readonly origin: string;
  readonly url: string;
}

export interface ShellMessagePort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (messageEvent: { data: unknown }) => void): void;
  off(event: 'message', listener: (messageEvent: { data: unknown }) => void): void;
  start(): void;
  close(): void;
}

/**
 * `Port` is the message port type of the Electron in use: Electron's MessagePortMain, or a test's fake.
 * A port is handed over as it came from MessageChannelMain, so the two must be the same type.
 */
export interface ShellWebContents<Port extends ShellMessagePort = ShellMessagePort> {
  readonly id: number;
  readonly mainFrame: ShellFrame;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  on(event: 'will-navigate', listener: (event: ShellEvent, url: string) => void): void;
  on(event: 'will-redirect', listener: (event: ShellEvent, url: string) => void): void;
  on(event: 'will-attach-webview', listener: (event: ShellEvent) => void): void;
  once(event: 'destroyed', listener: () => void): void;
  postMessage(channel: string, message: unknown, transfer: Port[]): void;
}

export interface ShellWindow<Port extends ShellMessagePort> {
  readonly webContents: ShellWebContents<Port>;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): void;
  show(): void;
  focus(): void;
  isMinimized(): boolean;
  restore(): void;
}

export interface ShellIpcEvent<Port extends ShellMessagePort> {
  readonly sender: ShellWebContents<Port>;
  readonly senderFrame: ShellFrame | null;
}

export interface ShellElectron<Port extends ShellMessagePort> {
  readonly app: {
    requestSingleInstanceLock(): boolean;
    quit(): void;
    whenReady(): Promise<void>;
    on(event: 'second-instance', listener: () => void): void;
    on(event: 'window-all-closed', listener: () => void): void;
    on(event: 'will-quit', listener: (event: ShellEvent) => void): void;
    on(event: 'web-contents-created', listener: (event: ShellEvent, contents: ShellWebContents<Port>) => void): void;
  };
  readonly BrowserWindow: new (options: BrowserWindowConstructorOptions) => ShellWindow<Port>;
  readonly MessageChannelMain: new () => { readonly port1: Port; readonly port2: Port };
  readonly ipcMain: {
    on(channel: string, listener: (event: ShellIpcEvent<Port>) => void): void;
  };
  readonly protocol: {
    registerSchemesAsPrivileged(schemes: CustomScheme[]): void;
    handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
  };
  readonly session: {
    readonly defaultSession: {
      setPermissionRequestHandler(
        handler: (
          webContents: unknown,
          permission: string,
          callback: (granted: boolean) => void,
          details: { readonly requestingUrl?: string },
        ) => void,
      ): void;
      setPermissionCheckHandler(
        handler: (webContents: unknown, permission: string, requestingOrigin: string) => boolean,
      ): void;
    };
  };
  readonly shell: {
    openExternal(url: string): Promise<void>;
  };
  readonly Menu: {
    buildFromTemplate(template: MenuItemConstructorOptions[]): unknown;
    setApplicationMenu(menu: unknown): void;
  };
}
