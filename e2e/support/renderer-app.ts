import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import type { WebBridgeApp } from '../../main/index';
import { startWebBridgeApp } from '../../main/index';
import { InMemoryCredentialStore } from '../../main/stores/memory-credential-store';
import { refuseWebgl } from './app-page';
import { launchChromium } from './chromium';

/**
 * The renderer app tests' fixture: the renderer built once into its own directory (test files run in
 * parallel), Chromium, and per test the web bridge over the real main services on a fresh data directory.
 */
export interface RendererAppFixture {
  /** Starts the bridge and opens its page; problems collects the page's console errors and exceptions. */
  open(options?: OpenOptions): Promise<OpenedApp>;
  /**
   * Restarts the app: closes the page and the bridge, then starts a new bridge on the same data directory
   * and opens its page.
   */
  reopen(options?: OpenOptions): Promise<OpenedApp>;
  /** Closes what open() started; call after each test. */
  closeApp(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenedApp {
  readonly bridge: WebBridgeApp;
  readonly page: Page;
  readonly problems: string[];
}

export interface OpenOptions {
  /**
   * false: the page's terminals use xterm's DOM renderer, whose rows are text a test can read (see
   * app-page.ts), because the page is refused WebGL2 contexts.
   */
  readonly webgl?: boolean;
}

export async function startRendererAppFixture(name: string): Promise<RendererAppFixture> {
  const rendererDirectory = path.resolve(`dist/renderer-app-test-${name}`);
  await build({ configFile: path.resolve('vite.config.ts'), logLevel: 'error', build: { outDir: rendererDirectory } });
  const browser = await launchChromium();
  mkdirSync('test-results', { recursive: true });
  /** The keychain lives as long as the data directory: a reopened app finds the secrets saved before. */
  interface Running extends OpenedApp {
    readonly dataDirectory: string;
    readonly credentialStore: InMemoryCredentialStore;
  }
  let running: Running | undefined;

  const stop = async (): Promise<Running | undefined> => {
    const stopped = running;
    running = undefined;
    await stopped?.page.close();
    await stopped?.bridge.close();
    return stopped;
  };

  const closeApp = async () => {
    const stopped = await stop();
    if (stopped !== undefined) await rm(stopped.dataDirectory, { recursive: true, force: true });
  };

  const start = async (
    dataDirectory: string,
    credentialStore: InMemoryCredentialStore,
    { webgl = true }: OpenOptions,
  ): Promise<OpenedApp> => {
    const bridge = await startWebBridgeApp({
      dataDirectory,
      rendererDirectory,
      credentialStore,
      logger: { warn: () => undefined, error: () => undefined },
    });
    const page = await browser.context.newPage();
    const problems: string[] = [];
    running = { bridge, page, problems, dataDirectory, credentialStore };
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    if (!webgl) await refuseWebgl(page);
    await page.goto(bridge.url);
    await page.getByRole('navigation', { name: 'Hosts' }).waitFor();
    return { bridge, page, problems };
  };

  return {
    async open(options = {}) {
      await closeApp();
      const dataDirectory = await mkdtemp(path.join(os.tmpdir(), `winrm-desk-${name}-`));
      return start(dataDirectory, new InMemoryCredentialStore(), options).catch(async (error: unknown) => {
        await rm(dataDirectory, { recursive: true, force: true });
        throw error;
      });
    },
    async reopen(options = {}) {
      const stopped = await stop();
      if (stopped === undefined) throw new Error('reopen() needs an app that open() started');
      return start(stopped.dataDirectory, stopped.credentialStore, options);
    },
    closeApp,
    async close() {
      await closeApp();
      await browser.close();
      await rm(rendererDirectory, { recursive: true, force: true });
    },
  };
}
