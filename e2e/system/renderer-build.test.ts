import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium';
import { serveDirectory } from '../support/static-site';

const outDir = path.resolve('dist/renderer-test');

// The renderer toolchain end to end: Vite builds the React app, Debian's Chromium (driven by
// playwright-core) loads it from a loopback server under the app's CSP and renders it.
describe('renderer build in Chromium', () => {
  let site: Awaited<ReturnType<typeof serveDirectory>>;
  let baseUrl: string;

  beforeAll(async () => {
    await build({ configFile: path.resolve('vite.config.ts'), logLevel: 'error', build: { outDir } });
    site = await serveDirectory(outDir);
    baseUrl = site.url;
  }, 120_000);

  afterAll(async () => {
    await site?.close();
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
