import { describe, expect, it } from 'vitest';
import { lastTerminalLine, terminalText } from '../support/app-page';
import { connectFromSidebar, runAtPrompt, useLabApp } from '../support/lab-app';
import { addLabHost } from '../support/lab-host';

// A saved host to a working PowerShell prompt in a tab: the renderer in Chromium, the real main services
// behind the web bridge, the lab's real PowerShell behind WinRM.
describe('a session to a saved host', () => {
  const labApp = useLabApp('session');

  it('connects with Basic over HTTPS, asks for the password, and runs commands at the remote prompt', async () => {
    const { bridge, page, problems } = await labApp.openApp({ width: 1400, height: 900 });
    const { sessions } = bridge.app.services;
    const alice = labApp.lab.descriptor.accounts[0]!;
    await addLabHost(bridge.app.services, labApp.lab.descriptor);

    await connectFromSidebar(page, 'lab', { signIn: { password: alice.password } });
    expect(await page.getByRole('tab', { name: 'lab' }).getAttribute('aria-selected')).toBe('true');
    await runAtPrompt(page, 'Get-Date');
    expect(await terminalText(page)).toMatch(/\b20\d\d\b/);
    await runAtPrompt(page, 'Write-Warning hi');
    expect((await terminalText(page)).match(/WARNING: hi/g)).toHaveLength(1);
    // Read-Host reads a line in the terminal.
    await page.keyboard.type('Read-Host "Name"');
    await page.keyboard.press('Enter');
    await expect.poll(() => lastTerminalLine(page)).toBe('Name:');
    await runAtPrompt(page, 'bob');
    expect((await terminalText(page)).split('\n').slice(-2)[0]).toBe('bob');
    // Tab asks the remote TabExpansion2.
    await page.keyboard.type('Get-Dat');
    await page.keyboard.press('Tab');
    await expect.poll(() => lastTerminalLine(page)).toMatch(/> Get-Date$/);
    await page.keyboard.press('Escape');
    // Ctrl+C on a running command: e2e/app/user-flows.test.ts (with the pipeline seen running on the server).
    await page.screenshot({ path: 'test-results/session-basic-https.png' });

    await page.getByRole('button', { name: 'Close lab' }).click();
    await expect.poll(() => sessions.list()).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('connects with NTLM over HTTP with message encryption', async () => {
    const { bridge, page, problems } = await labApp.openApp({ width: 1400, height: 900 });
    const descriptor = labApp.lab.descriptor;
    const alice = descriptor.accounts[0]!;
    await addLabHost(bridge.app.services, descriptor, {
      draft: {
        name: 'lab-ntlm',
        port: Number(new URL(descriptor.http_url).port),
        transport: 'http',
        auth: 'ntlm',
        advanced: { spnHostname: descriptor.host_name, messageEncryption: 'always' },
      },
      trustCa: false,
    });
    await connectFromSidebar(page, 'lab-ntlm', { signIn: { password: alice.password } });
    expect(await page.getByRole('tab', { name: 'lab-ntlm' }).getAttribute('aria-selected')).toBe('true');
    await runAtPrompt(page, '$env:WINRM_LAB_USER');
    expect(await terminalText(page)).toContain(alice.user);
    await page.screenshot({ path: 'test-results/session-ntlm-http.png' });
    expect(problems).toEqual([]);
  });
});
