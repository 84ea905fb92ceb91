import type { BrowserWindowConstructorOptions, CustomScheme, MenuItemConstructorOptions } from 'electron';
import type {
  ShellElectron,
  ShellEvent,
  ShellFrame,
  ShellIpcEvent,
  ShellMessagePort,
  ShellWebContents,
  ShellWindow,
} from '../electron-api';

type Listener = (...args: never[]) => void;

/** Listeners by event name, with the calls a test makes to play Electron. */
class Listeners {
  readonly #byEvent = new Map<string, { listener: Listener; once: boolean }[]>();

  add(event: string, listener: Listener, once = false): void {
    this.#byEvent.set(event, [...(this.#byEvent.get(event) ?? []), { listener, once }]);
  }

  remove(event: string, listener: Listener): void {
    this.#byEvent.set(
      event,
      (this.#byEvent.get(event) ?? []).filter((entry) => entry.listener !== listener),
    );
  }

  emit(event: string, ...args: unknown[]): void {
    const entries = this.#byEvent.get(event) ?? [];
    this.#byEvent.set(
      event,
      entries.filter((entry) => !entry.once),
    );
    for (const { listener } of entries) (listener as (...values: unknown[]) => void)(...args);
  }

  count(event: string): number {
    return this.#byEvent.get(event)?.length ?? 0;
  }
}

/** A prevented-or-not event as Electron passes to navigation listeners. */
export function fakeEvent(): ShellEvent & { prevented: boolean } {
  return {
    prevented: false,
    preventDefault() {
      this.prevented = true;
    },
  };
}

/** One end of a fake MessageChannelMain; delivers to its peer asynchronously, as a structured clone. */
export class FakePort implements ShellMessagePort {
  peer: FakePort | undefined;
  started = false;
  closed = false;
  readonly listeners = new Listeners();

  postMessage(message: unknown): void {
    if (this.closed) return;
    const copy = structuredClone(message);
    queueMicrotask(() => this.peer?.listeners.emit('message', { data: copy }));
  }
  on(event: 'message', listener: (messageEvent: { data: unknown }) => void): void {
    this.listeners.add(event, listener);
  }
  off(event: 'message', listener: (messageEvent: { data: unknown }) => void): void {
    this.listeners.remove(event, listener);
  }
  start(): void {
    this.started = true;
  }
  close(): void {
    this.closed = true;
  }
}

export class FakeWebContents implements ShellWebContents<FakePort> {
  readonly mainFrame: ShellFrame = { origin: 'app://winrm-desk', url: 'app://winrm-desk/index.html' };
  readonly listeners = new Listeners();
  readonly posted: { channel: string; message: unknown; transfer: FakePort[] }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: 'deny' }) | undefined;

  constructor(readonly id: number) {}

  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  on(event: string, listener: Listener): void {
    this.listeners.add(event, listener);
  }
  once(event: string, listener: Listener): void {
    this.listeners.add(event, listener, true);
  }
  postMessage(channel: string, message: unknown, transfer: FakePort[]): void {
    this.posted.push({ channel, message, transfer });
  }
}

export interface FakeElectron {
  readonly electron: ShellElectron<FakePort>;
  readonly app: Listeners & { gotLock: boolean; quitCalls: number; readyCalls: number; resolveReady: () => void };
  readonly windows: (ShellWindow<FakePort> & {
    options: BrowserWindowConstructorOptions;
    loaded: string[];
    shown: boolean;
    focused: number;
    minimized: boolean;
    restored: number;
    listeners: Listeners;
    webContents: FakeWebContents;
  })[];
  readonly ipc: Listeners;
  readonly privilegedSchemes: CustomScheme[][];
  readonly protocolHandlers: Map<string, (request: Request) => Response | Promise<Response>>;
  readonly permissions: {
    request?: Parameters<ShellElectron<FakePort>['session']['defaultSession']['setPermissionRequestHandler']>[0];
    check?: Parameters<ShellElectron<FakePort>['session']['defaultSession']['setPermissionCheckHandler']>[0];
  };
  readonly openedExternally: string[];
  readonly menus: MenuItemConstructorOptions[][];
  readonly channels: { port1: FakePort; port2: FakePort }[];
  /** Plays Electron delivering an IPC message to main. */
  sendIpc(channel: string, event: ShellIpcEvent<FakePort>): void;
}

/** Electron as far as the shell uses it, recording what the shell does; `ready` waits for resolveReady(). */
export function createFakeElectron(options: { singleInstanceLock?: boolean } = {}): FakeElectron {
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  const appListeners = new Listeners();
  const app = Object.assign(appListeners, {
    gotLock: options.singleInstanceLock ?? true,
    quitCalls: 0,
    readyCalls: 0,
    resolveReady,
  });
  const ipc = new Listeners();
  const fake: Omit<FakeElectron, 'electron' | 'sendIpc'> = {
    app,
    windows: [],
    ipc,
    privilegedSchemes: [],
    protocolHandlers: new Map(),
    permissions: {},
    openedExternally: [],
    menus: [],
    channels: [],
  };
  let nextId = 1;

  class BrowserWindow {
    readonly webContents = new FakeWebContents(nextId++);
    readonly loaded: string[] = [];
    readonly listeners = new Listeners();
    shown = false;
    focused = 0;
    minimized = false;
    restored = 0;

    constructor(readonly options: BrowserWindowConstructorOptions) {
      fake.windows.push(this);
      app.emit('web-contents-created', fakeEvent(), this.webContents);
    }
    async loadURL(url: string): Promise<void> {
      this.loaded.push(url);
    }
    once(event: 'ready-to-show', listener: () => void): void {
      this.listeners.add(event, listener, true);
    }
    show(): void {
      this.shown = true;
    }
    focus(): void {
      this.focused++;
    }
    isMinimized(): boolean {
      return this.minimized;
    }
    restore(): void {
      this.restored++;
    }
  }

  class MessageChannelMain {
    readonly port1 = new FakePort();
    readonly port2 = new FakePort();
    constructor() {
      this.port1.peer = this.port2;
      this.port2.peer = this.port1;
      fake.channels.push(this);
    }
  }

  const electron: ShellElectron<FakePort> = {
    app: {
      requestSingleInstanceLock: () => app.gotLock,
      quit: () => {
        app.quitCalls++;
      },
      whenReady: () => {
        app.readyCalls++;
        return ready;
      },
      on: (event: string, listener: Listener) => app.add(event, listener),
    },
    BrowserWindow,
    MessageChannelMain,
    ipcMain: { on: (channel: string, listener: Listener) => ipc.add(channel, listener) },
    protocol: {
      registerSchemesAsPrivileged: (schemes) => {
        fake.privilegedSchemes.push(schemes);
      },
      handle: (scheme, handler) => {
        fake.protocolHandlers.set(scheme, handler);
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler) => {
          fake.permissions.request = handler;
        },
        setPermissionCheckHandler: (handler) => {
          fake.permissions.check = handler;
        },
      },
    },
    shell: {
      openExternal: async (url) => {
        fake.openedExternally.push(url);
      },
    },
    Menu: {
      buildFromTemplate: (template) => template,
      setApplicationMenu: (menu) => {
        fake.menus.push(menu as MenuItemConstructorOptions[]);
      },
    },
  };
  return { ...fake, electron, sendIpc: (channel, event) => ipc.emit(channel, event) } as FakeElectron;
}
