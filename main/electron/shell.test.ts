import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appContract } from '../../core/contract/app-contract';
import { connectContract } from '../../core/contract/client';
import { ELECTRON_HANDSHAKE } from '../../core/contract/electron-handshake';
import type { MessageTransport } from '../../core/contract/transport';
import type { LogEntry } from '../services/test-support/temporary-app';
import { openTestApp, temporaryDirectory } from '../services/test-support/temporary-app';
import type { ShellFrame } from './electron-api';
import { openExternalSafely } from './security';
import { startElectronShell } from './shell';
import type { FakeElectron, FakePort } from './test-support/fake-electron';
import { createFakeElectron, fakeEvent } from './test-support/fake-electron';

let directory: string;
let removeDirectory: () => Promise<void>;
let rendererDirectory: string;
let log: LogEntry[];

beforeEach(async () => {
  ({ directory, removeDirectory } = await temporaryDirectory());
  rendererDirectory = path.join(directory, 'renderer');
  await mkdir(rendererDirectory);
  await writeFile(path.join(rendererDirectory, 'index.html'), '<!doctype html><title>app</title>');
  await writeFile(path.join(directory, 'outside.html'), 'outside');
});
afterEach(() => removeDirectory());

/** The shell over a test app; `close` stands in for the app's own close (what quitting waits for). */
async function startShell(fake: FakeElectron = createFakeElectron(), close?: () => Promise<void>) {
  const app = await openTestApp(path.join(directory, 'data'));
  log = app.log;
  const started = startElectronShell(fake.electron, {
    rendererDirectory,
    preloadPath: '/app/dist/main/electron/preload.cjs',
    platform: 'linux',
    compose: async () => (close === undefined ? app : { ...app, close }),
  });
  fake.app.resolveReady();
  const window = await started;
  return { fake, window, app };
}

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe('Electron shell window', () => {
  it('creates one isolated, sandboxed window without Node, showing app://winrm-desk/ once ready', async () => {
    const { fake } = await startShell();
    expect(fake.windows).toHaveLength(1);
    const [window] = fake.windows;
    expect(window?.options.webPreferences).toEqual({
      preload: '/app/dist/main/electron/preload.cjs',
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
    });
    expect(window?.loaded).toEqual(['app://winrm-desk/index.html']);
    expect(window?.shown).toBe(false);
    window?.listeners.emit('ready-to-show');
    expect(window?.shown).toBe(true);
    expect(fake.privilegedSchemes).toEqual([
      [{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }],
    ]);
    expect(fake.menus[0]?.some((item) => item.role === 'editMenu')).toBe(true);
  });

  it('registers the app scheme before Electron is ready, as Electron requires', async () => {
    const fake = createFakeElectron();
    const app = await openTestApp(path.join(directory, 'data'));
    const started = startElectronShell(fake.electron, {
      rendererDirectory,
      preloadPath: 'preload.cjs',
      platform: 'linux',
      compose: async () => app,
    });
    expect(fake.privilegedSchemes).toHaveLength(1);
    expect(fake.windows).toHaveLength(0);
    fake.app.resolveReady();
    await started;
    expect(fake.windows).toHaveLength(1);
  });

  it('serves the renderer on app:// with the CSP header, and nothing outside it', async () => {
    const { fake } = await startShell();
    const handle = fake.protocolHandlers.get('app');
    if (handle === undefined) throw new Error('no app protocol handler');
    const page = await handle(new Request('app://winrm-desk/index.html'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>app</title>');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    for (const request of [
      new Request('app://winrm-desk/../outside.html'),
      new Request('app://winrm-desk/%2e%2e/outside.html'),
      new Request('app://elsewhere/index.html'),
      new Request('app://winrm-desk/index.html', { method: 'POST', body: 'x' }),
    ]) {
      const response = await handle(request);
      expect(response.status, request.url).toBe(404);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
  });

  it('denies every navigation, new window and web view; https links go to the browser, nothing else', async () => {
    const { fake } = await startShell();
    const contents = fake.windows[0]!.webContents;
    for (const url of ['https://learn.microsoft.com/powershell', 'http://example.com/', 'file:///etc/passwd']) {
      const event = fakeEvent();
      contents.listeners.emit('will-navigate', event, url);
      expect(event.prevented, url).toBe(true);
      expect(contents.windowOpenHandler?.({ url })).toEqual({ action: 'deny' });
    }
    expect(fake.openedExternally).toEqual([
      'https://learn.microsoft.com/powershell',
      'https://learn.microsoft.com/powershell',
    ]);
    for (const name of ['will-redirect', 'will-attach-webview']) {
      const event = fakeEvent();
      contents.listeners.emit(name, event, 'https://example.com/');
      expect(event.prevented, name).toBe(true);
    }
  });

  it('hardens every web contents Electron creates, not only the window it made', async () => {
    const { fake } = await startShell();
    const { FakeWebContents } = await import('./test-support/fake-electron');
    const stray = new FakeWebContents(99);
    fake.app.emit('web-contents-created', fakeEvent(), stray);
    const event = fakeEvent();
    stray.listeners.emit('will-navigate', event, 'https://example.com/');
    expect(event.prevented).toBe(true);
    expect(stray.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it('denies permissions, except clipboard writing for the app itself', async () => {
    const { fake } = await startShell();
    const { request, check } = fake.permissions;
    if (request === undefined || check === undefined) throw new Error('no permission handlers');
    const decide = (permission: string, requestingUrl: string) =>
      new Promise<boolean>((resolve) => request(undefined, permission, resolve, { requestingUrl }));
    expect(await decide('media', 'app://winrm-desk/index.html')).toBe(false);
    expect(await decide('notifications', 'app://winrm-desk/index.html')).toBe(false);
    expect(await decide('clipboard-sanitized-write', 'app://winrm-desk/index.html')).toBe(true);
    expect(await decide('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    expect(await decide('clipboard-read', 'app://winrm-desk/index.html')).toBe(false);
    expect(check(undefined, 'geolocation', 'app://winrm-desk')).toBe(false);
    expect(check(undefined, 'clipboard-sanitized-write', 'app://winrm-desk')).toBe(true);
  });
});

describe('openExternalSafely', () => {
  it('opens plain https URLs and refuses everything else', () => {
    const opened: string[] = [];
    const shell = { openExternal: async (url: string) => void opened.push(url) };
    expect(openExternalSafely(shell, 'https://learn.microsoft.com/a?b=c#d')).toBe(true);
    for (const url of [
      'http://learn.microsoft.com/',
      'file:///C:/Windows/System32/calc.exe',
      'javascript:alert(1)',
      'smb://server/share',
      'ms-msdt:/id PCWDiagnostic',
      'https://user:secret@example.com/',
      'not a url',
      '',
    ]) {
      expect(openExternalSafely(shell, url), url).toBe(false);
    }
    expect(opened).toEqual(['https://learn.microsoft.com/a?b=c#d']);
  });
});

describe('single instance', () => {
  it('quits at once when another instance holds the lock', async () => {
    const fake = createFakeElectron({ singleInstanceLock: false });
    const started = startElectronShell(fake.electron, {
      rendererDirectory,
      preloadPath: 'preload.cjs',
      platform: 'linux',
      compose: () => Promise.reject(new Error('must not compose')),
    });
    await expect(started).resolves.toBeUndefined();
    expect(fake.app.quitCalls).toBe(1);
    expect(fake.app.readyCalls).toBe(0);
    expect(fake.windows).toEqual([]);
  });

  it('brings its window to the front when a second instance starts, and quits when it closes', async () => {
    const { fake } = await startShell();
    const window = fake.windows[0]!;
    window.minimized = true;
    fake.app.emit('second-instance');
    expect([window.restored, window.focused]).toEqual([1, 1]);
    fake.app.emit('window-all-closed');
    expect(fake.app.quitCalls).toBe(1);
  });

  it('closes the app (sessions, stores) before it quits, once, however often quitting is asked', async () => {
    let closes = 0;
    let finishClose!: () => void;
    const { fake } = await startShell(createFakeElectron(), () => {
      closes++;
      return new Promise<void>((resolve) => (finishClose = resolve));
    });
    const quitting = { prevented: 0, preventDefault: () => quitting.prevented++ };
    fake.app.emit('will-quit', quitting);
    fake.app.emit('will-quit', quitting);
    expect([closes, quitting.prevented, fake.app.quitCalls]).toEqual([1, 2, 0]);
    finishClose();
    await expect.poll(() => fake.app.quitCalls).toBe(1);
    fake.app.emit('will-quit', quitting);
    expect([closes, quitting.prevented, fake.app.quitCalls]).toEqual([1, 2, 1]);
  });

  it('quits after a grace period when closing hangs (an unreachable host)', async () => {
    const { fake } = await startShell(createFakeElectron(), () => new Promise<void>(() => undefined));
    vi.useFakeTimers();
    try {
      fake.app.emit('will-quit', fakeQuitEvent());
      await vi.advanceTimersByTimeAsync(4_900);
      expect(fake.app.quitCalls).toBe(0);
      await vi.advanceTimersByTimeAsync(200);
      expect(fake.app.quitCalls).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** Electron's will-quit event, as far as the shell uses it. */
function fakeQuitEvent() {
  return { preventDefault: () => undefined };
}

describe('MessagePort handoff', () => {
  /** The renderer's end of a delivered port as a contract transport. */
  function rendererTransport(port: FakePort): MessageTransport {
    return {
      post: (message) => port.postMessage(message),
      onMessage: (listener) => {
        const receive = (event: { data: unknown }) => listener(event.data);
        port.on('message', receive);
        return { dispose: () => port.off('message', receive) };
      },
    };
  }

  const requestPort = (fake: FakeElectron, frame?: ShellFrame | null, senderId?: number) => {
    const window = fake.windows[0]!;
    const sender = senderId === undefined ? window.webContents : { ...window.webContents, id: senderId };
    fake.sendIpc(ELECTRON_HANDSHAKE.REQUEST_PORT, {
      sender,
      senderFrame: frame === undefined ? window.webContents.mainFrame : frame,
    });
  };

  it('gives the main frame of its window a port that serves the contract', async () => {
    const { fake, app } = await startShell();
    await app.services.hosts.add({ draft: { name: 'web01', address: 'web01' } });
    requestPort(fake);
    const [delivery] = fake.windows[0]!.webContents.posted;
    expect(delivery?.channel).toBe(ELECTRON_HANDSHAKE.DELIVER_PORT);
    expect(delivery?.transfer).toHaveLength(1);
    const client = connectContract(appContract, rendererTransport(delivery!.transfer[0]!));
    const list = await client.services.hosts.list();
    expect(list.hosts.map((host) => host.name)).toEqual(['web01']);
    expect(fake.channels[0]?.port1.started).toBe(true);
  });

  it('closes the previous port of a page that asks again (a reload) and when the page goes away', async () => {
    const { fake } = await startShell();
    requestPort(fake);
    requestPort(fake);
    expect(fake.channels.map((channel) => channel.port1.closed)).toEqual([true, false]);
    fake.windows[0]!.webContents.listeners.emit('destroyed');
    expect(fake.channels[1]?.port1.closed).toBe(true);
  });

  it.each([
    ['a frame other than the main frame', { origin: 'app://winrm-desk', url: 'app://winrm-desk/x' }, undefined],
    ['a message without a sender frame', null, undefined],
    ['web contents that are not an app window', undefined, 42],
  ])('refuses %s, logged, without creating a port', async (_name, frame, senderId) => {
    const { fake } = await startShell();
    requestPort(fake, frame, senderId);
    await settle();
    expect(fake.channels).toEqual([]);
    expect(fake.windows[0]!.webContents.posted).toEqual([]);
    expect(log).toMatchObject([{ level: 'warn', message: 'electron: refused a port request' }]);
  });

  it('refuses the main frame when it shows another origin', async () => {
    const { fake } = await startShell();
    const contents = fake.windows[0]!.webContents as { mainFrame: ShellFrame };
    contents.mainFrame = { origin: 'https://evil.example', url: 'https://evil.example/' };
    requestPort(fake);
    expect(fake.channels).toEqual([]);
    expect(log[0]?.fields?.['reason']).toBe('origin https://evil.example');
  });
});
