import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunningLab } from '../support/lab';
import type { RendererAppFixture } from '../support/renderer-app';
import { startRendererAppFixture } from '../support/renderer-app';

/**
 * Makes the page's terminals use xterm's DOM renderer, whose rows are text the test can read (the WebGL
 * renderer draws on a canvas), by refusing WebGL2 contexts, and reloads the page.
 */
async function withoutWebgl(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const getContext = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, ...args: unknown[]) {
      return args[0] === 'webgl2' ? null : (getContext as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof getContext;
  });
  await page.reload();
  await page.getByRole('navigation', { name: 'Hosts' }).waitFor();
}

// A saved host to a working PowerShell prompt in a tab: the renderer in Chromium, the real main services
// behind the web bridge, the lab's real PowerShell behind WinRM.
describe('a session to a saved host', () => {
  let lab: RunningLab;
  let fixture: RendererAppFixture;
  beforeAll(async () => {
    [lab, fixture] = await Promise.all([RunningLab.start(['--enable-basic']), startRendererAppFixture('session')]);
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
    await lab?.stop();
  });
  afterEach(async () => fixture.closeApp());

  /** The text of the visible terminal, from the DOM renderer's rows (see `withoutWebgl`). */
  const screen = (page: Page) =>
    page.locator('[role="tabpanel"]:not([hidden]) .xterm-rows').evaluate((rows) =>
      Array.from(rows.children)
        .map((row) => (row.textContent ?? '').trimEnd())
        .join('\n'),
    );

  /** Connects to `hostName` from the sidebar and signs in through the credential dialog. */
  async function connectAndSignIn(page: Page, hostName: string, password: string): Promise<void> {
    await page.getByRole('treeitem', { name: hostName }).first().focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Sign in to ${hostName}` });
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => screen(page), { timeout: 30_000 }).toMatch(/\[win-lab\.lab\.test\]: PS .*> ?$/m);
    expect(await page.getByRole('tab', { name: hostName }).getAttribute('aria-selected')).toBe('true');
    await page.locator('[role="tabpanel"]:not([hidden]) .xterm-helper-textarea').focus();
  }

  async function run(page: Page, line: string): Promise<void> {
    const prompts = (await screen(page)).match(/PS .*>/g)?.length ?? 0;
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await screen(page)).match(/PS .*>/g)?.length, { timeout: 20_000 }).toBe(prompts + 1);
  }

  it('connects with Basic over HTTPS, asks for the password, and runs commands at the remote prompt', async () => {
    const { bridge, page, problems } = await fixture.open();
    await withoutWebgl(page);
    await page.setViewportSize({ width: 1400, height: 900 });
    const { hosts, trust, sessions } = bridge.app.services;
    const descriptor = lab.descriptor;
    const alice = descriptor.accounts[0]!;
    const host = await hosts.add({
      draft: {
        name: 'lab',
        address: '127.0.0.1',
        port: Number(new URL(descriptor.https_url).port),
        transport: 'https',
        auth: 'basic',
        user: alice.user,
        advanced: { spnHostname: descriptor.host_name },
      },
    });
    for (const file of [descriptor.root_ca, descriptor.issuing_ca] as string[]) {
      await trust.importAuthority({ scope: { kind: 'host', hostId: host.id }, pem: readFileSync(file, 'utf8') });
    }

    await connectAndSignIn(page, 'lab', alice.password);
    await run(page, 'Get-Date');
    expect(await screen(page)).toMatch(/\b20\d\d\b/);
    await run(page, 'Write-Warning hi');
    expect((await screen(page)).match(/WARNING: hi/g)).toHaveLength(1);
    // Read-Host reads a line in the terminal.
    await page.keyboard.type('Read-Host "Name"');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await screen(page)).trimEnd().split('\n').at(-1)).toBe('Name:');
    await run(page, 'bob');
    expect((await screen(page)).trimEnd().split('\n').slice(-2)[0]).toBe('bob');
    // Tab asks the remote TabExpansion2.
    await page.keyboard.type('Get-Dat');
    await page.keyboard.press('Tab');
    await expect.poll(async () => (await screen(page)).trimEnd().split('\n').at(-1)).toMatch(/> Get-Date$/);
    await page.keyboard.press('Escape');
    // Ctrl+C stops a running command and the prompt comes back.
    const started = Date.now();
    await page.keyboard.type('Start-Sleep 60');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(500);
    await page.keyboard.press('Control+c');
    await expect
      .poll(async () => (await screen(page)).trimEnd().split('\n').at(-1), { timeout: 20_000 })
      .toMatch(/PS .*>$/);
    expect(Date.now() - started).toBeLessThan(20_000);
    await page.screenshot({ path: 'test-results/session-basic-https.png' });

    await page.getByRole('button', { name: 'Close lab' }).click();
    await expect.poll(() => sessions.list()).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('connects with NTLM over HTTP with message encryption', async () => {
    const { bridge, page, problems } = await fixture.open();
    await withoutWebgl(page);
    await page.setViewportSize({ width: 1400, height: 900 });
    const descriptor = lab.descriptor;
    const alice = descriptor.accounts[0]!;
    await bridge.app.services.hosts.add({
      draft: {
        name: 'lab-ntlm',
        address: '127.0.0.1',
        port: Number(new URL(descriptor.http_url).port),
        transport: 'http',
        auth: 'ntlm',
        user: alice.user,
        advanced: { spnHostname: descriptor.host_name, messageEncryption: 'always' },
      },
    });
    await connectAndSignIn(page, 'lab-ntlm', alice.password);
    await run(page, '$env:WINRM_LAB_USER');
    expect(await screen(page)).toContain(alice.user);
    await page.screenshot({ path: 'test-results/session-ntlm-http.png' });
    expect(problems).toEqual([]);
  });
});
