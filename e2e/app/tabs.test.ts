import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { TERMINAL_FLOW_CONTROL } from '../../core/contract/session-service';
import type { WebBridgeApp } from '../../main/index';
import { focusTerminal, lastTerminalLine, openFromSidebar, terminalText } from '../support/app-page';
import { labAdmin } from '../support/lab';
import { connectFromSidebar, LAB_PROMPT, runAtPrompt, useLabApp } from '../support/lab-app';
import { addLabHost } from '../support/lab-host';

// The session tabs in Chromium, against the real main services behind the web bridge and the lab's real
// PowerShell: several tabs to one host, switched, renamed, moved and closed by keyboard; a session that
// ended (and one that dropped, once main reports drops) reconnected in its tab; a session taken over by a
// reloaded page; a connection that fails shown in its tab.
describe('session tabs', () => {
  const labApp = useLabApp('tabs');

  /** Opens the app with a saved host `name` to the lab (Basic over HTTPS, CA trusted, password saved). */
  async function openWithHost(name = 'lab', port = Number(new URL(labApp.lab.descriptor.https_url).port)) {
    const opened = await labApp.openApp({ width: 1400, height: 900 });
    const host = await addLabHost(opened.bridge.app.services, labApp.lab.descriptor, {
      draft: { name, port },
      password: 'remembered',
    });
    return { ...opened, host };
  }

  const tabNames = (page: Page) => page.getByRole('tab').allTextContents();
  const selectedTab = (page: Page) => page.locator('[role="tab"][aria-selected="true"]').textContent();
  const lastLine = async (page: Page) => (await lastTerminalLine(page)) ?? '';

  /** Connects from the sidebar (Enter on the host) and waits for the prompt in a new tab. */
  async function connect(page: Page, hostName: string): Promise<void> {
    const tabs = (await tabNames(page)).length;
    await connectFromSidebar(page, hostName);
    expect((await tabNames(page)).length).toBe(tabs + 1);
  }

  /** Types `line` into the visible terminal and presses Enter. */
  async function type(page: Page, line: string): Promise<void> {
    await focusTerminal(page);
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
  }

  const sessionCount = async (bridge: WebBridgeApp) => (await bridge.app.services.sessions.list()).length;

  it('two tabs to one host: switch, rename and move by keys, confirm closing a busy one', async () => {
    const { bridge, page, problems } = await openWithHost();
    await connect(page, 'lab');
    await connect(page, 'lab');
    expect(await tabNames(page)).toEqual(['lab', 'lab (2)']);
    expect(await selectedTab(page)).toBe('lab (2)');

    // Switching from the terminal keeps the keys away from it, and the focus goes to the other terminal.
    await focusTerminal(page);
    await page.keyboard.press('Alt+PageUp');
    expect(await selectedTab(page)).toBe('lab');
    await page.keyboard.press('Control+Tab');
    expect(await selectedTab(page)).toBe('lab (2)');
    await page.keyboard.press('Control+Shift+Tab');
    expect(await selectedTab(page)).toBe('lab');
    await page.keyboard.type('1+1');
    await page.keyboard.press('Enter');
    await expect.poll(() => terminalText(page)).toMatch(/^2$/m);

    // Rename with F2: Escape keeps the old name, Enter takes the new one.
    const second = page.getByRole('tab', { name: 'lab (2)' });
    await second.focus();
    await page.keyboard.press('ArrowLeft');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('lab');
    await page.keyboard.press('ArrowRight');
    expect(await selectedTab(page)).toBe('lab (2)');
    await page.keyboard.press('F2');
    const field = page.getByRole('textbox', { name: 'New name for the tab lab (2)' });
    await expect.poll(() => field.evaluate((element) => element === document.activeElement)).toBe(true);
    await page.keyboard.type('scratch');
    await page.keyboard.press('Escape');
    expect(await tabNames(page)).toEqual(['lab', 'lab (2)']);
    await page.keyboard.press('F2');
    await page.keyboard.type('build box');
    await page.keyboard.press('Enter');
    expect(await tabNames(page)).toEqual(['lab', 'build box']);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('tab');

    // Move the focused tab left and back right; it keeps the focus and its terminal.
    await page.keyboard.press('Alt+Shift+PageUp');
    expect(await tabNames(page)).toEqual(['build box', 'lab']);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('build box');
    await page.keyboard.press('Control+Shift+PageDown');
    expect(await tabNames(page)).toEqual(['lab', 'build box']);
    await page.keyboard.press('Alt+Shift+PageUp');
    expect(await tabNames(page)).toEqual(['build box', 'lab']);
    expect(await lastLine(page)).toMatch(LAB_PROMPT);
    await page.screenshot({ path: 'test-results/tabs-renamed-and-moved.png' });

    // A busy tab asks before it closes; Cancel keeps it (and its command), Close tab ends it.
    await runAtPrompt(page, "'marker'");
    await type(page, 'Start-Sleep 600');
    await page.getByRole('button', { name: 'Close build box' }).click();
    const question = page.getByRole('alertdialog', { name: 'Close build box?' });
    await question.waitFor();
    await page.screenshot({ path: 'test-results/tabs-close-confirmation.png' });
    await question.getByRole('button', { name: 'Cancel' }).click();
    expect(await tabNames(page)).toEqual(['build box', 'lab']);
    expect(await sessionCount(bridge)).toBe(2);
    expect(await lastLine(page)).toMatch(/> Start-Sleep 600$/);
    await page.getByRole('tab', { name: 'build box' }).focus();
    await page.keyboard.press('Delete');
    await question.getByRole('button', { name: 'Close tab' }).click();
    expect(await tabNames(page)).toEqual(['lab']);
    await expect.poll(() => sessionCount(bridge)).toBe(1);

    // An idle tab closes without a question.
    await page.getByRole('button', { name: 'Close lab' }).click();
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    expect(await tabNames(page)).toEqual([]);
    await expect.poll(() => sessionCount(bridge)).toBe(0);
    expect(problems).toEqual([]);
  });

  it('keeps the tab of a session that ended and reconnects it in place, with its name and screen', async () => {
    const { bridge, page, problems } = await openWithHost();
    await connect(page, 'lab');
    await connect(page, 'lab');
    const first = page.getByRole('tab', { name: 'lab', exact: true });
    await first.click();
    await first.press('F2');
    await page.keyboard.type('primary');
    await page.keyboard.press('Enter');
    await runAtPrompt(page, "'before the end'");

    // `exit` ends the session on the server; the tab stays, saying so, with Reconnect.
    await type(page, 'exit');
    const panel = page.getByRole('tabpanel', { name: 'primary' });
    await panel.getByText('The session has ended.').waitFor();
    await page.screenshot({ path: 'test-results/tabs-session-ended.png' });
    await panel.getByRole('button', { name: 'Reconnect' }).click();

    // A new session in the same tab, place and name, below the screen it had.
    await expect.poll(() => lastLine(page), { timeout: 30_000 }).toMatch(LAB_PROMPT);
    expect(await tabNames(page)).toEqual(['primary', 'lab (2)']);
    expect(await selectedTab(page)).toBe('primary');
    expect(await terminalText(page)).toContain('before the end');
    await runAtPrompt(page, "'after ' + 'the reconnect'");
    expect(await terminalText(page)).toMatch(/^after the reconnect$/m);
    expect(await sessionCount(bridge)).toBe(2);
    expect(problems).toEqual([]);
  });

  it('keeps a dropped session’s tab with the reason and reconnects it in place', async () => {
    const { page, problems } = await openWithHost();
    await connect(page, 'lab');
    const [shell] = (await labAdmin(labApp.lab.descriptor)('GET', '/shells')) as { process_id: number }[];
    await runAtPrompt(page, "'before the drop'");

    // The server's PowerShell dies (its process tree is killed): the session fails under the user.
    killProcessTree(shell!.process_id);
    const panel = page.getByRole('tabpanel', { name: 'lab' });
    const reconnect = panel.getByRole('button', { name: 'Reconnect' });
    await reconnect.waitFor({ timeout: 30_000 });
    expect(await panel.locator('.problem').textContent()).toMatch(/\S/);
    await page.screenshot({ path: 'test-results/tabs-dropped-session.png' });

    await reconnect.click();
    await expect.poll(() => lastLine(page), { timeout: 30_000 }).toMatch(LAB_PROMPT);
    expect(await terminalText(page)).toContain('before the drop');
    expect(problems).toEqual([]);
  });

  it('a reloaded page takes over a session whose output the page before it never acknowledged', async () => {
    const { bridge, page, problems } = await openWithHost();
    await connect(page, 'lab');
    const { sessionId } = (await bridge.app.services.sessions.list())[0]!;
    const unacknowledged = () => bridge.app.services.sessions.unacknowledgedCharacters(sessionId);

    // The page stops acknowledging (as one does while it goes away): main stops receiving at the high watermark.
    await page.evaluate(() => {
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (this: WebSocket, data: string) {
        if (!data.includes('"acknowledgeOutput"')) send.call(this, data);
      } as typeof send;
    });
    await type(page, "1..25000 | ForEach-Object { 'x' * 99 }; 'all ' + 'printed'");
    await expect.poll(unacknowledged, { timeout: 30_000 }).toBeGreaterThanOrEqual(TERMINAL_FLOW_CONTROL.highWatermark);

    // The reloaded page's terminal attaches: what the old page was sent counts as written, the command goes on.
    await page.reload();
    await expect.poll(() => lastLine(page), { timeout: 30_000 }).toMatch(LAB_PROMPT);
    expect(await terminalText(page)).toMatch(/^all printed$/m);
    await expect.poll(unacknowledged).toBe(0);
    await runAtPrompt(page, "'still ' + 'here'");
    expect(problems).toEqual([]);
  });

  it('shows a connection that fails in its tab as a plain sentence, with details on demand', async () => {
    const { page, problems } = await openWithHost('nowhere', await closedPort());
    await openFromSidebar(page, 'nowhere');
    const tab = page.getByRole('tabpanel', { name: 'nowhere' });
    const sentence = tab.locator('.problem');
    await sentence.waitFor({ timeout: 30_000 });
    expect(await sentence.textContent()).toMatch(/connection refused — check the port/);
    const details = tab.getByText('Details');
    await details.click();
    expect(await tab.locator('details pre').textContent()).toMatch(/ECONNREFUSED/);
    await page.screenshot({ path: 'test-results/tabs-connection-refused.png' });

    // Try again opens a new session in the same tab, which fails the same way.
    await tab.getByRole('button', { name: 'Try again' }).click();
    await tab.getByRole('button', { name: 'Try again' }).waitFor();
    expect(await tabNames(page)).toEqual(['nowhere']);
    expect(problems).toEqual([]);
  });
});

/** Kills a process and its children (the lab's `pwsh` is a dotnet launcher with the real PowerShell under it). */
function killProcessTree(pid: number): void {
  const children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .trim()
    .split('\n');
  for (const child of children) if (child !== '') process.kill(Number(child), 'SIGKILL');
  process.kill(pid, 'SIGKILL');
}

/** A port on 127.0.0.1 that nothing listens on (it was bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
