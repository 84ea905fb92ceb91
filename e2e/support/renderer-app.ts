import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import type { WebBridgeApp } from '../../main/index';
import { startWebBridgeApp } from '../../main/index';
import { InMemoryCredentialStore } from '../../main/stores/memory-credential-store';
import { launchChromium } from './chromium';

/**
 * The renderer app tests' fixture: the renderer built once into its own directory (test files run in
 * parallel), Chromium, and per test the web bridge over the real main services on a fresh data directory.
 */
export interface RendererAppFixture {
  /** Starts the bridge and opens its page; problems collects the page's console errors and exceptions. */
  open(): Promise<{ bridge: WebBridgeApp; page: Page; problems: string[] }>;
  /** Closes what open() started; call after each test. */
  closeApp(): Promise<void>;
  close(): Promise<void>;
}

export async function startRendererAppFixture(name: string): Promise<RendererAppFixture> {
  const rendererDirectory = path.resolve(`dist/renderer-app-test-${name}`);
  await build({ configFile: path.resolve('vite.config.ts'), logLevel: 'error', build: { outDir: rendererDirectory } });
  const browser = await launchChromium();
  mkdirSync('test-results', { recursive: true });
  let running: { bridge: WebBridgeApp; page: Page; dataDirectory: string } | undefined;

  const closeApp = async () => {
    if (running === undefined) return;
    const { bridge, page, dataDirectory } = running;
    running = undefined;
    await page.close();
    await bridge.close();
    await rm(dataDirectory, { recursive: true, force: true });
  };

  return {
    async open() {
      await closeApp();
      const dataDirectory = await mkdtemp(path.join(os.tmpdir(), `winrm-desk-${name}-`));
      const bridge = await startWebBridgeApp({
        dataDirectory,
        rendererDirectory,
        credentialStore: new InMemoryCredentialStore(),
        logger: { warn: () => undefined, error: () => undefined },
      });
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(bridge.url);
      await page.getByRole('navigation', { name: 'Hosts' }).waitFor();
      running = { bridge, page, dataDirectory };
      return { bridge, page, problems };
    },
    closeApp,
    async close() {
      await closeApp();
      await browser.close();
      await rm(rendererDirectory, { recursive: true, force: true });
    },
  };
}
