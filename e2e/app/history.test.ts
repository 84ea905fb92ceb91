import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HISTORY_FILE_NAME } from '../../main/stores/history-store';
import { lastTerminalLine, terminalText } from '../support/app-page';
import { connectFromSidebar, runAtPrompt, useLabApp } from '../support/lab-app';
import { addLabHost } from '../support/lab-host';

// A host's command history outlives the app: the renderer in Chromium, the real main services and their
// history file behind the web bridge, the lab's real PowerShell behind WinRM; then a new bridge on the same
// data directory and a new page, as after a restart.
describe('command history across restarts', () => {
  const labApp = useLabApp('history');

  it('recalls the previous run’s commands with Up and Ctrl+R, but not a line that looks like a secret', async () => {
    const { bridge, page, problems } = await labApp.openApp();
    const alice = labApp.lab.descriptor.accounts[0]!;
    const host = await addLabHost(bridge.app.services, labApp.lab.descriptor);

    await connectFromSidebar(page, 'lab', { signIn: { password: alice.password, remember: true } });
    await runAtPrompt(page, "Get-Date -Format 'yyyy'");
    await runAtPrompt(page, "Write-Output 'kept for later'");
    await runAtPrompt(page, '$apiKey = 42');
    // In this session the secret-looking line is in memory, as PSReadLine keeps it.
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => lastTerminalLine(page)).toMatch(/> \$apiKey = 42$/);
    await page.keyboard.press('Escape');
    expect(problems).toEqual([]);
    const dataDirectory = bridge.app.dataDirectory;

    const reopened = await labApp.fixture.reopen({ webgl: false });
    await connectFromSidebar(reopened.page, 'lab');
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
