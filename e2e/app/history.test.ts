import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_FILE_NAME } from '../../main/stores/history-store';
import { lastTerminalLine, terminalText } from '../support/app-page';
import { RunningLab } from '../support/lab';
import type { RendererAppFixture } from '../support/renderer-app';
import { startRendererAppFixture } from '../support/renderer-app';

// A host's command history outlives the app: the renderer in Chromium, the real main services and their
// history file behind the web bridge, the lab's real PowerShell behind WinRM; then a new bridge on the same
// data directory and a new page, as after a restart.
describe('command history across restarts', () => {
  let lab: RunningLab;
  let fixture: RendererAppFixture;
  beforeAll(async () => {
    [lab, fixture] = await Promise.all([RunningLab.start(['--enable-basic']), startRendererAppFixture('history')]);
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
    await lab?.stop();
  });
  afterEach(async () => fixture.closeApp());

  const prompts = async (page: Page) => (await terminalText(page)).match(/PS .*>/g)?.length ?? 0;

  /** Opens a session to `hostName` from the sidebar and waits for the prompt, with the terminal focused. */
  async function connect(page: Page, hostName: string, signIn?: string): Promise<void> {
    await page.getByRole('treeitem', { name: hostName }).first().focus();
    await page.keyboard.press('Enter');
    if (signIn !== undefined) {
      const dialog = page.getByRole('dialog', { name: `Sign in to ${hostName}` });
      await dialog.getByLabel('Password', { exact: true }).fill(signIn);
      await dialog.getByLabel('Remember in the keychain').check();
      await dialog.getByRole('button', { name: 'Sign in' }).click();
    }
    await expect.poll(() => lastTerminalLine(page), { timeout: 30_000 }).toMatch(/^\[win-lab\.lab\.test\]: PS .*> ?$/);
    await page.locator('[role="tabpanel"]:not([hidden]) .xterm-helper-textarea').focus();
  }

  async function run(page: Page, line: string): Promise<void> {
    const before = await prompts(page);
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
    await expect.poll(() => prompts(page), { timeout: 20_000 }).toBe(before + 1);
  }

  it('recalls the previous run’s commands with Up and Ctrl+R, but not a line that looks like a secret', async () => {
    const { bridge, page, problems } = await fixture.open({ webgl: false });
    const descriptor = lab.descriptor;
    const alice = descriptor.accounts[0]!;
    const host = await bridge.app.services.hosts.add({
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
      await bridge.app.services.trust.importAuthority({
        scope: { kind: 'host', hostId: host.id },
        pem: readFileSync(file, 'utf8'),
      });
    }

    await connect(page, 'lab', alice.password);
    await run(page, "Get-Date -Format 'yyyy'");
    await run(page, "Write-Output 'kept for later'");
    await run(page, '$apiKey = 42');
    // In this session the secret-looking line is in memory, as PSReadLine keeps it.
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => lastTerminalLine(page)).toMatch(/> \$apiKey = 42$/);
    await page.keyboard.press('Escape');
    expect(problems).toEqual([]);
    const dataDirectory = bridge.app.dataDirectory;

    const reopened = await fixture.reopen({ webgl: false });
    await connect(reopened.page, 'lab');
    await reopened.page.keyboard.press('ArrowUp');
    await expect.poll(() => lastTerminalLine(reopened.page)).toMatch(/> Write-Output 'kept for later'$/);
    await reopened.page.keyboard.press('ArrowUp');
    await expect.poll(() => lastTerminalLine(reopened.page)).toMatch(/> Get-Date -Format 'yyyy'$/);
    await reopened.page.keyboard.press('Escape');
    await reopened.page.keyboard.press('Control+r');
    await reopened.page.keyboard.type('kept');
    await expect.poll(() => terminalText(reopened.page)).toMatch(/> Write-Output 'kept for later'\nbck-i-search: kept/);
    await reopened.page.keyboard.press('Enter');
    await expect.poll(() => terminalText(reopened.page)).toMatch(/^kept for later$/m);
    await reopened.page.screenshot({ path: 'test-results/history-after-restart.png' });

    await reopened.bridge.app.flushed();
    expect(JSON.parse(await readFile(path.join(dataDirectory, HISTORY_FILE_NAME), 'utf8'))).toEqual({
      version: 1,
      hosts: { [host.id]: ["Get-Date -Format 'yyyy'", "Write-Output 'kept for later'"] },
    });
    expect(reopened.problems).toEqual([]);
  });
});
