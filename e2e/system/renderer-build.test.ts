import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium';

const outDir = path.resolve('dist/renderer-test');
const contentTypes: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

// The renderer toolchain end to end: Vite builds the React app, Debian's Chromium (driven by
// playwright-core) loads it from a loopback server under the app's CSP and renders it.
describe('renderer build in Chromium', () => {
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    await build({ configFile: path.resolve('vite.config.ts'), logLevel: 'error', build: { outDir } });
    server = createServer((request, response) => {
      const relative = new URL(request.url ?? '/', 'http://localhost').pathname.replace(/^\/+/, '') || 'index.html';
      const file = path.resolve(outDir, relative);
      if (!file.startsWith(outDir + path.sep) || !existsSync(file)) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'Content-Type': contentTypes[path.extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }, 120_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('renders the application frame without console errors', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(baseUrl);
      await expect(page.getByRole('heading', { name: 'WinRM Desk' }).textContent()).resolves.toBe('WinRM Desk');
      expect(await page.getByRole('main', { name: 'WinRM Desk' }).count()).toBe(1);
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: 'test-results/renderer-frame.png' });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
