import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebBridgeApp } from '../../main/index';
import { startWebBridgeApp } from '../../main/index';
import type { LogEntry } from '../../main/services/test-support/temporary-app';
import { capturingLogger } from '../../main/services/test-support/temporary-app';
import { InMemoryCredentialStore } from '../../main/stores/memory-credential-store';
import { launchChromium } from '../support/chromium';

const rendererDirectory = path.resolve('dist/renderer-app-test');

// The renderer in Debian's Chromium through the web bridge, against the real main services over a
// temporary data directory: what a user sees, as a user would use it.
describe('saved hosts through the web bridge', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let dataDirectory: string;
  let bridge: WebBridgeApp | undefined;
  let log: LogEntry[];

  const startApp = async () => {
    const captured = capturingLogger();
    log = captured.entries;
    bridge = await startWebBridgeApp({
      dataDirectory,
      rendererDirectory,
      credentialStore: new InMemoryCredentialStore(),
      logger: captured.logger,
    });
    return bridge;
  };

  const openPage = async (url: string): Promise<{ page: Page; problems: string[] }> => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(url);
    return { page, problems };
  };

  beforeAll(async () => {
    await build({
      configFile: path.resolve('vite.config.ts'),
      logLevel: 'error',
      build: { outDir: rendererDirectory },
    });
    browser = await launchChromium();
    mkdirSync('test-results', { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    dataDirectory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-app-'));
  });
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
    await rm(dataDirectory, { recursive: true, force: true });
  });

  it('adds a host through the form and still lists it after the bridge restarts', async () => {
    const first = await startApp();
    const { page, problems } = await openPage(first.url);
    await page.getByText('No saved hosts yet.').waitFor();

    // A wrong address is explained next to its field before anything is sent.
    await page.getByRole('button', { name: 'Add host' }).click();
    const form = page.getByRole('dialog', { name: 'Add a host' });
    await form.getByLabel('Name', { exact: true }).fill('web01');
    await form.getByLabel('Address', { exact: true }).fill('https://web01.corp.example/wsman');
    await form.getByRole('button', { name: 'Add host' }).click();
    const addressProblem = form.getByText('Enter only the host name or IP address, without https:// or a path.');
    await addressProblem.waitFor();
    expect(await form.getByLabel('Address', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await form.getByLabel('Address', { exact: true }).fill('web01.corp.example');
    await form.getByLabel('User', { exact: true }).fill('CORP\\alice');
    await form.getByRole('button', { name: 'Add host' }).click();
    await form.waitFor({ state: 'detached' });
    const savedHosts = page.getByRole('tree', { name: 'Saved hosts' });
    await savedHosts.getByRole('treeitem', { name: 'web01' }).waitFor();
    expect(await savedHosts.textContent()).toContain('web01.corp.example:5986 · CORP\\alice');
    await page.screenshot({ path: 'test-results/app-hosts-added.png', fullPage: true });
    expect(problems).toEqual([]);
    await page.close();

    await first.close();
    const second = await startApp();
    expect(second.url).not.toBe(first.url);
    const reopened = await openPage(second.url);
    await reopened.page.getByRole('tree', { name: 'Saved hosts' }).getByRole('treeitem', { name: 'web01' }).waitFor();
    await reopened.page.screenshot({ path: 'test-results/app-hosts-after-restart.png', fullPage: true });
    expect(reopened.problems).toEqual([]);
    await reopened.page.close();
  });

  it('refuses a page with a wrong token: the page says so and sees no hosts', async () => {
    const running = await startApp();
    await running.app.services.hosts.add({ draft: { name: 'secret-host', address: 'secret-host' } });
    const { page } = await openPage(`${running.origin}/#token=not-the-token`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/refused this page or is not running/);
    expect(await page.content()).not.toContain('secret-host');
    expect(log.length).toBeGreaterThan(0);
    for (const entry of log) {
      expect([entry.message, entry.fields?.['reason']]).toEqual([
        'bridge: refused a WebSocket connection',
        'missing or wrong token',
      ]);
    }
    await page.screenshot({ path: 'test-results/app-wrong-token.png' });
    await page.close();
  });

  it('refuses a WebSocket from a page of another origin, even with the right token', async () => {
    const running = await startApp();
    const foreign: Server = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    try {
      const { page } = await openPage(`http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`);
      const socketUrl = running.url.replace(/^http/, 'ws').replace('/#token=', '/contract?token=');
      const outcome = await page.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const socket = new WebSocket(url);
            socket.onopen = () => resolve('open');
            socket.onclose = (event) => resolve(`closed ${event.code}`);
          }),
        socketUrl,
      );
      expect(outcome).toBe('closed 1006');
      expect(log.map((entry) => entry.fields?.['reason'])).toEqual([
        `unexpected Origin "http://127.0.0.1:${(foreign.address() as AddressInfo).port}"`,
      ]);
      await page.close();
    } finally {
      const closed = new Promise<void>((resolve) => foreign.close(() => resolve()));
      foreign.closeAllConnections();
      await closed;
    }
  });
});
