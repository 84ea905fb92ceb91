import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { focusTerminal, lastTerminalLine, openFromSidebar, terminalRows, terminalText } from '../support/app-page';
import { connectFromSidebar, useLabApp } from '../support/lab-app';
import { addLabHost } from '../support/lab-host';

// A cmd (WinRS) profile and certificate sign-in in Chromium, against the real main services behind the web
// bridge and the lab. The lab's `cmd.exe` is an interactive prompt over /bin/sh that prints `<directory>>`
// (e2e/lab/README.md), so the cmd tab meets a real interpreter printing its own prompt. The certificate host
// is made in the host form as a new user would, and the lab's CA is trusted through the trust dialog.
// Screenshots go to test-results/cmd-*.png and test-results/certificate-*.png.

describe('cmd sessions and certificate sign-in in the app', () => {
  const labApp = useLabApp('cmd-and-certificate', ['--enable-basic', '--enable-certificate']);
  /** Where the certificate test writes the user's certificate file. */
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-cmd-and-certificate-'));
  });
  afterAll(async () => {
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });

  const httpsPort = () => new URL(labApp.lab.descriptor.https_url).port;
  const visiblePanel = (page: Page) => page.locator('[role="tabpanel"]:not([hidden])');
  const lastLine = async (page: Page) => (await lastTerminalLine(page)) ?? '';
  const lastRows = async (page: Page) => (await terminalText(page)).split('\n');

  /** Types `line` into the visible terminal and presses Enter. */
  async function type(page: Page, line: string): Promise<void> {
    await focusTerminal(page);
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
  }

  it('runs a cmd tab end to end: its prompt, output, Ctrl+C, Tab, exit and Reconnect', async () => {
    const { bridge, page, problems } = await labApp.openApp({ width: 1400, height: 900 });
    // The host is saved through the services (the form is the certificate test's part): Basic over HTTPS with
    // the lab's CAs trusted and alice's password saved, so connecting asks nothing.
    await addLabHost(bridge.app.services, labApp.lab.descriptor, {
      draft: { name: 'shell box', shell: 'cmd' },
      password: 'remembered',
    });

    // The prompt is the remote interpreter's own output: its directory (alice's profile directory) and `>`.
    await connectFromSidebar(page, 'shell box', { prompt: /^\/.*\/alice>$/ });
    const prompt = await lastLine(page);
    const promptCount = async () => (await terminalRows(page)).filter((row) => row.startsWith(prompt)).length;
    /** Runs `line` and waits for the prompt after it. */
    const run = async (line: string) => {
      const prompts = await promptCount();
      await type(page, line);
      await expect.poll(promptCount, { timeout: 20_000 }).toBe(prompts + 1);
    };
    expect(await page.getByRole('region', { name: 'cmd on shell box' }).count()).toBe(1);
    expect(await page.getByRole('region', { name: /^PowerShell on/ }).count()).toBe(0);

    await run('echo hi');
    expect((await lastRows(page)).slice(-3)).toEqual([`${prompt}echo hi`, 'hi', prompt]);
    // Enter runs the line as it is: an open brace would make PowerShell's editor ask for more lines.
    await run('echo {');
    expect((await lastRows(page)).slice(-3)).toEqual([`${prompt}echo {`, '{', prompt]);
    await page.screenshot({ path: 'test-results/cmd-echo.png' });

    // Tab asks main, which has no completion over WinRS: the line stays as typed and still runs.
    await focusTerminal(page);
    await page.keyboard.type('ech');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.type('o after-tab');
    // xterm draws typed keys asynchronously: wait for the line, then check it is the line as typed.
    await expect.poll(() => lastLine(page)).toBe(`${prompt}echo after-tab`);
    const prompts = await promptCount();
    await page.keyboard.press('Enter');
    await expect.poll(promptCount, { timeout: 20_000 }).toBe(prompts + 1);
    expect((await lastRows(page)).slice(-3)).toEqual([`${prompt}echo after-tab`, 'after-tab', prompt]);
    expect(await visiblePanel(page).getByRole('alert').count()).toBe(0);

    // Ctrl+C stops the running command (once it has started: its first output is on screen).
    await type(page, 'echo sleeping; sleep 600');
    await expect.poll(() => lastLine(page), { timeout: 20_000 }).toBe('sleeping');
    await page.keyboard.press('Control+c');
    await expect.poll(() => lastLine(page), { timeout: 20_000 }).toBe(prompt);
    await run('echo after-ctrl-c');
    expect((await lastRows(page)).slice(-2)).toEqual(['after-ctrl-c', prompt]);
    await page.screenshot({ path: 'test-results/cmd-ctrl-c.png' });

    // `exit` ends the interpreter, so the session: the tab stays, saying so, and Reconnect opens a new one.
    await type(page, 'exit');
    const panel = page.getByRole('tabpanel', { name: 'shell box' });
    await panel.getByText('The session has ended.').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: 'test-results/cmd-ended.png' });
    await panel.getByRole('button', { name: 'Reconnect' }).click();
    await expect.poll(() => lastLine(page), { timeout: 30_000 }).toBe(prompt);
    expect(await terminalText(page)).toContain('after-ctrl-c');
    await run('echo "again in $PWD"');
    expect(await terminalText(page)).toMatch(/^again in \/.*\/alice$/m);
    expect(await page.getByRole('region', { name: 'cmd on shell box' }).count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it('adds a certificate host in the form, trusts the CA in the trust dialog and signs in as alice', async () => {
    // The user's certificate file: alice's certificate and its (unencrypted) key in one PEM file.
    const certificateFile = path.join(directory, 'alice.pem');
    const [certificate, key] = await Promise.all([
      readFile(labApp.lab.descriptor['client_cert'] as string),
      readFile(labApp.lab.descriptor['client_key'] as string),
    ]);
    await writeFile(certificateFile, Buffer.concat([certificate, key]), { mode: 0o600 });

    const { page, problems } = await labApp.openApp({ width: 1400, height: 1000 });
    await page.getByRole('toolbar', { name: 'Host actions' }).getByRole('button', { name: 'Add host' }).click();
    const form = page.getByRole('dialog', { name: 'Add a host' });
    await form.getByLabel('Name', { exact: true }).fill('alice by certificate');
    await form.getByLabel('Address', { exact: true }).fill('127.0.0.1');
    expect(await form.getByLabel('Transport', { exact: true }).inputValue()).toBe('https');
    await form.getByLabel('Port', { exact: true }).fill(httpsPort());
    await form.getByLabel('Authentication', { exact: true }).selectOption({ label: 'Certificate' });
    // The user stays blank: the certificate names the account.
    await form.getByRole('button', { name: 'Add host' }).click();
    // The form refuses it, pointing at the missing certificate inside the advanced options it opens.
    await form.getByText('Choose the client certificate for certificate authentication.').waitFor();
    expect(await form.locator('details.advanced').getAttribute('open')).not.toBeNull();
    await page.screenshot({ path: 'test-results/certificate-form-needs-certificate.png' });
    await form.getByLabel('SPN host name', { exact: true }).fill(labApp.lab.descriptor.host_name);
    await form.getByLabel('Client certificate', { exact: true }).selectOption({ label: 'From a file' });
    await form.getByLabel('Certificate file', { exact: true }).fill(certificateFile);
    await page.screenshot({ path: 'test-results/certificate-host-form.png' });
    await form.getByRole('button', { name: 'Add host' }).click();
    await form.waitFor({ state: 'detached' });

    // Connecting asks about the server's certificate (its CA is not trusted yet), never for a password.
    await openFromSidebar(page, 'alice by certificate');
    const trustDialog = page.getByRole('dialog', { name: 'Do you trust alice by certificate?' });
    await trustDialog.waitFor({ timeout: 30_000 });
    await trustDialog.getByRole('radio', { name: 'This host only' }).check();
    await page.screenshot({ path: 'test-results/certificate-trust-dialog.png' });
    await trustDialog.getByRole('button', { name: 'Trust the CA' }).click();

    await expect.poll(() => lastLine(page), { timeout: 30_000 }).toMatch(/^\[win-lab\.lab\.test\]: PS .*>$/);
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await page.getByRole('region', { name: 'PowerShell on alice by certificate' }).count()).toBe(1);
    await type(page, '$env:WINRM_LAB_USER');
    await expect.poll(() => terminalText(page), { timeout: 20_000 }).toMatch(/^\S*\\alice$/m);
    await expect.poll(() => lastLine(page), { timeout: 20_000 }).toMatch(/PS .*>$/);
    await page.screenshot({ path: 'test-results/certificate-signed-in.png' });
    expect(problems).toEqual([]);
  });
});
