import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KEYCHAIN_SERVICE, keychainAccount, KeyringCredentialStore } from '../../main/stores/credential-store';
import { hostTreeRow, lastTerminalLine, refuseWebgl, terminalRows, terminalText } from '../support/app-page';
import type { BridgeProcess, BridgeProcessBuild } from '../support/bridge-process';
import { buildBridgeProcess } from '../support/bridge-process';
import { launchChromium } from '../support/chromium';
import type { LabDescriptor } from '../support/lab';
import { labAdmin, RunningLab } from '../support/lab';
import { containsSecret, filesContaining } from '../support/secret-search';

// The user's day (DESIGN.md §1) as a newcomer lives it, through the UI only: the renderer in Debian's
// Chromium, the web bridge as its own process (the real composition root: OS keychain = gnome-keyring under
// the test's D-Bus session, console log on stderr), the lab's real PowerShell behind WinRM. The tests run in
// order and build on each other: hosts added in one are used by the next. Service state is only read, for
// assertions. Screenshots go to test-results/user-flow-*.png. The last test scans everything the app wrote
// or the page held for the secrets typed along the way.

type ServerCertificates = Record<string, { fingerprint_sha256: string }>;

/** The keychain's entry of WinRM Desk for `account`, read by secret-tool (an independent client). */
const rememberedPassword = (account: string) =>
  execFileSync('secret-tool', ['lookup', 'service', KEYCHAIN_SERVICE, 'username', account], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/** `AB CD …` as the trust dialog groups a fingerprint. */
const grouped = (sha256: string) => (sha256.toUpperCase().match(/../g) ?? []).join(' ');

describe('a new user, through the UI', () => {
  let lab: RunningLab;
  let descriptor: LabDescriptor;
  let bridgeBuild: BridgeProcessBuild;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let dataDirectory: string;
  let bridge: BridgeProcess | undefined;
  let page: Page;
  /** Logs of every bridge process of this file, and what every page received over the contract. */
  const logs: string[] = [];
  const receivedFrames: string[] = [];
  const problems: string[] = [];
  /** Secrets typed in the flows; the scan looks for each. */
  let password: string;
  const wrongPassword = `Wrong-${randomBytes(9).toString('base64url')}`;
  const secureAnswer = `Sec-${randomBytes(9).toString('base64url')}`;
  const credentialAnswer = `Cred-${randomBytes(9).toString('base64url')}`;
  const hashOf = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').toUpperCase();
  const secureAnswerHash = hashOf(secureAnswer);

  beforeAll(async () => {
    if (!process.env['DBUS_SESSION_BUS_ADDRESS']) {
      throw new Error(
        'run inside dbus-run-session with an unlocked gnome-keyring, as npm test does (scripts/run-suites.sh)',
      );
    }
    [lab, bridgeBuild, browser] = await Promise.all([
      RunningLab.start([]),
      buildBridgeProcess('user-flows'),
      launchChromium(),
    ]);
    descriptor = lab.descriptor;
    password = descriptor.accounts[0]!.password;
    dataDirectory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-user-flows-'));
  }, 120_000);

  afterAll(async () => {
    await stopApp();
    // The test's D-Bus session may share gnome-keyring's login keyring on disk: leave nothing behind.
    const keychain = new KeyringCredentialStore();
    const saved =
      dataDirectory === undefined
        ? []
        : await savedHosts().then(
            (file) => file.hosts,
            () => [],
          );
    for (const { id } of saved) await keychain.forgetHost(id).catch(() => undefined);
    await browser?.close();
    await lab?.stop();
    await bridgeBuild?.remove();
    if (dataDirectory !== undefined) await rm(dataDirectory, { recursive: true, force: true });
  });

  // Each flow builds on the previous ones: after a failure the rest are skipped rather than timing out.
  let failedFlow = false;
  beforeEach((context) => {
    if (failedFlow) context.skip();
    context.onTestFailed(() => {
      failedFlow = true;
    });
  });

  /** Starts a bridge process on the data directory and opens its page, as a user restarting the app. */
  async function startApp(): Promise<void> {
    bridge = await bridgeBuild.start(dataDirectory);
    page = await browser.context.newPage();
    await refuseWebgl(page);
    page.setDefaultTimeout(15_000);
    await page.setViewportSize({ width: 1400, height: 1000 });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('websocket', (socket) =>
      socket.on('framereceived', ({ payload }) => receivedFrames.push(payload.toString())),
    );
    await page.goto(bridge.url);
    await page.getByRole('navigation', { name: 'Hosts' }).waitFor();
  }

  async function stopApp(): Promise<void> {
    if (bridge === undefined) return;
    await page.close();
    expect(await bridge.stop()).toBe(0);
    logs.push(bridge.stdout(), bridge.stderr());
    bridge = undefined;
  }

  const shot = (name: string) => page.screenshot({ path: `test-results/user-flow-${name}.png` });
  const dialog = (name: string) => page.getByRole('dialog', { name });
  const promptCount = async () => (await terminalText(page)).match(/PS.*?>/g)?.length ?? 0;
  const atPrompt = () => expect.poll(() => lastTerminalLine(page), { timeout: 30_000 }).toMatch(/PS.*>$/);

  /** Types a command line and waits for the next prompt. */
  async function run(line: string): Promise<void> {
    const prompts = await promptCount();
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
    await expect.poll(promptCount, { timeout: 30_000 }).toBe(prompts + 1);
  }

  const visiblePanel = () => page.locator('[role="tabpanel"]:not([hidden])');

  /** Gives the visible tab's terminal the keyboard. */
  const focusTerminal = () => visiblePanel().locator('.xterm-helper-textarea').focus();

  // A used host is listed twice, under Recent and in its group.
  const hostRow = (name: string) => hostTreeRow(page, name).first();

  async function addHost(fields: {
    name: string;
    group?: string;
    auth: string;
    configuration?: string;
  }): Promise<void> {
    await page.getByRole('toolbar', { name: 'Host actions' }).getByRole('button', { name: 'Add host' }).click();
    const form = dialog('Add a host');
    await form.getByLabel('Name', { exact: true }).fill(fields.name);
    if (fields.group !== undefined)
      await form.getByLabel('Group', { exact: true }).selectOption({ label: fields.group });
    await form.getByLabel('Address', { exact: true }).fill('127.0.0.1');
    expect(await form.getByLabel('Transport', { exact: true }).inputValue()).toBe('https');
    await form.getByLabel('Port', { exact: true }).fill(new URL(descriptor.https_url).port);
    await form.getByLabel('Authentication', { exact: true }).selectOption({ label: fields.auth });
    await form.getByLabel('User', { exact: true }).fill(descriptor.accounts[0]!.user);
    if (fields.configuration !== undefined)
      await form.getByLabel('Configuration (JEA)', { exact: true }).fill(fields.configuration);
    await form.getByText('Advanced options').click();
    // The lab's certificate and SPNs name win-lab.lab.test; the address is 127.0.0.1.
    await form.getByLabel('SPN host name', { exact: true }).fill(descriptor.host_name);
    await form.getByRole('button', { name: 'Add host' }).click();
    await form.waitFor({ state: 'detached' });
    await hostRow(fields.name).waitFor();
  }

  async function signIn(hostName: string, secret: string, remember: boolean): Promise<void> {
    const signInDialog = dialog(`Sign in to ${hostName}`);
    await signInDialog.getByLabel('Password', { exact: true }).fill(secret);
    if (remember) await signInDialog.getByLabel('Remember in the keychain').check();
    await signInDialog.getByRole('button', { name: 'Sign in' }).click();
    await signInDialog.waitFor({ state: 'detached' });
  }

  /** The host profiles file as the app wrote it (read for assertions only). */
  const savedHosts = async () =>
    JSON.parse(await readFile(path.join(dataDirectory, 'hosts.json'), 'utf8')) as {
      hosts: { id: string; name: string }[];
    };

  /** The keychain account the app keeps a saved host's password under. */
  async function accountOf(hostName: string): Promise<string> {
    const host = (await savedHosts()).hosts.find((candidate) => candidate.name === hostName);
    if (host === undefined) throw new Error(`${hostName} is not saved`);
    return keychainAccount({ hostId: host.id, user: descriptor.accounts[0]!.user });
  }

  it('adds a host, trusts the issuing CA in the trust dialog, signs in with "remember" and runs Get-Date', async () => {
    await startApp();
    await expect.poll(() => page.getByText('No saved hosts yet. Add one.').isVisible(), { timeout: 15_000 }).toBe(true);
    await page.getByRole('toolbar', { name: 'Host actions' }).getByRole('button', { name: 'Add group' }).click();
    await dialog('Add a group').getByLabel('Group name').fill('Lab');
    await dialog('Add a group').getByRole('button', { name: 'Add group' }).click();
    await addHost({ name: 'lab', group: 'Lab', auth: 'NTLM' });
    await shot('1-host-added');

    await hostRow('lab').dblclick();
    // The certificate is decided first: no password is typed for a server whose identity is not established.
    const trust = dialog('Do you trust lab?');
    await trust.waitFor({ timeout: 30_000 });
    const chainCertificate = (descriptor['server_certs'] as ServerCertificates)['chain']!;
    const certificate = trust.getByRole('region', { name: 'Certificate' });
    const detail = (term: string) => certificate.locator(`dt:text-is("${term}") + dd`).innerText();
    expect(await trust.innerText()).toContain('It was issued by a certificate authority this computer does not trust.');
    expect(await detail('Subject')).toContain(descriptor.host_name);
    expect(await detail('Alternative names')).toContain(`DNS:${descriptor.host_name}`);
    expect(await detail('Alternative names')).toContain('127.0.0.1');
    expect(await detail('Valid')).toMatch(/20\d\d.*–.*20\d\d/);
    expect(await certificate.getByTestId('certificate-fingerprint').innerText()).toBe(
      grouped(chainCertificate.fingerprint_sha256),
    );
    const chain = await trust.getByRole('list', { name: 'Issuer chain' }).getByRole('listitem').allInnerTexts();
    expect(chain.length).toBeGreaterThanOrEqual(2);
    expect(chain[1]).toMatch(/issued by/);
    // The direct issuer is the CA offered first.
    const issuer = (chain[0]!.match(/issued by (.*?) ·/) ?? [])[1]!;
    const chosen = trust.getByRole('radiogroup', { name: 'CA to trust' }).getByRole('radio', { checked: true });
    expect(await chosen.locator('xpath=..').innerText()).toBe(issuer);
    await trust.getByRole('radio', { name: 'Every host in Lab' }).check();
    await shot('1-trust-dialog');
    await trust.getByRole('button', { name: 'Trust the CA' }).click();
    await trust.waitFor({ state: 'detached' });
    // Then the password, once; the CA is trusted by now, so connecting asks nothing more.
    await signIn('lab', password, true);

    await atPrompt();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await focusTerminal();
    await run('Get-Date -Format "yyyy-MM-dd HH:mm"');
    expect(await terminalText(page)).toMatch(/^20\d\d-\d\d-\d\d \d\d:\d\d$/m);
    await run('Get-Date');
    expect(await terminalText(page)).toMatch(/\b20\d\d\b.*\b\d{1,2}:\d\d:\d\d\b/);
    await shot('1-get-date');
    expect(rememberedPassword(await accountOf('lab'))).toBe(password);
    expect(problems).toEqual([]);
  });

  it('after a restart as a new process, keeps the host and its saved password: connecting asks nothing', async () => {
    await stopApp();
    await startApp();
    await hostRow('lab').dblclick();
    await atPrompt();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await focusTerminal();
    await run('$env:WINRM_LAB_USER');
    expect(await terminalText(page)).toContain(descriptor.accounts[0]!.user);
    await shot('2-after-restart');
    expect(problems).toEqual([]);
  });

  it('answers Read-Host inline, and Read-Host -AsSecureString and Get-Credential without echoing the secret', async () => {
    await page.keyboard.type('$name = Read-Host "Your name"; "hello $name"');
    await page.keyboard.press('Enter');
    await expect.poll(() => lastTerminalLine(page), { timeout: 15_000 }).toBe('Your name:');
    await run('bob');
    expect(await terminalText(page)).toMatch(/^hello bob$/m);

    // PowerShell hashes what it received, so the test can compare without the secret ever being shown.
    const serverHash = (secureString: string) =>
      `'hash:' + [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData(` +
      `[Text.Encoding]::UTF8.GetBytes([Net.NetworkCredential]::new('', ${secureString}).Password)))`;
    await page.keyboard.type(`$s = Read-Host -AsSecureString "Token"; ${serverHash('$s')}`);
    await page.keyboard.press('Enter');
    await expect.poll(() => lastTerminalLine(page), { timeout: 15_000 }).toBe('Token:');
    await answerSecretly(secureAnswer);
    expect(await terminalText(page)).toContain(`hash:${secureAnswerHash}`);
    await shot('4-secure-read-host');

    await page.keyboard.type(
      `$c = Get-Credential -UserName bob -Message "For the lab"; $c.UserName; ${serverHash('$c.Password')}`,
    );
    await page.keyboard.press('Enter');
    await expect.poll(() => lastTerminalLine(page), { timeout: 15_000 }).toBe('Password for user bob:');
    expect(await terminalText(page)).toContain('For the lab');
    await answerSecretly(credentialAnswer);
    expect(await lastOutput()).toBe(`hash:${hashOf(credentialAnswer)}`);
    expect((await terminalText(page)).split('\n').at(-3)).toBe('bob');
    await shot('4-get-credential');
    expect(problems).toEqual([]);
  });

  it('shows Write-Progress as a bar above the prompt that goes when done, leaving no text in the scrollback', async () => {
    const prompts = await promptCount();
    await page.keyboard.type(
      '1..5 | % { Write-Progress -Activity Copy -PercentComplete ($_*20); Start-Sleep -Milliseconds 300 }',
    );
    await page.keyboard.press('Enter');
    // The bar: `Copy [` then the share done, drawn above the (hidden) prompt while the pipeline runs.
    await expect
      .poll(async () => (await terminalRows(page)).some((row) => /^Copy \[/.test(row)), {
        timeout: 30_000,
        interval: 50,
      })
      .toBe(true);
    // One bar per activity: the record arrives twice (PROGRESS_RECORD and the WriteProgress host call).
    expect((await terminalRows(page)).filter((row) => /^Copy \[/.test(row))).toHaveLength(1);
    await shot('5-progress');
    await expect.poll(promptCount, { timeout: 30_000 }).toBe(prompts + 1);
    // Nothing of the bar stays: the command line is followed by the next prompt alone.
    expect((await terminalText(page)).split('Start-Sleep -Milliseconds 300 }').at(-1)).toMatch(/^\n[^\n]*PS[^\n]*>$/);
    expect((await terminalRows(page)).filter((row) => /^\s*Copy\b/.test(row))).toEqual([]);
    await shot('5-progress-done');
    expect(problems).toEqual([]);
  });

  it('stops Start-Sleep 600 with Ctrl+C and gives the prompt back', async () => {
    const prompts = await promptCount();
    const before = await runningCommands();
    await page.keyboard.type('Start-Sleep 600');
    await page.keyboard.press('Enter');
    // The server runs it (the lab lists the pipeline) before Ctrl+C, so Ctrl+C stops a pipeline, not the line.
    await expect.poll(runningCommands, { timeout: 15_000 }).toBe(before + 1);
    await page.keyboard.press('Control+c');
    await expect.poll(promptCount, { timeout: 30_000 }).toBe(prompts + 1);
    await atPrompt();
    await expect.poll(runningCommands, { timeout: 15_000 }).toBe(before);
    await shot('6-ctrl-c');
  });

  /** Pipelines the lab runs now, over every shell (read from its admin endpoint). */
  async function runningCommands(): Promise<number> {
    const shells = (await labAdmin(descriptor)('GET', '/shells')) as { commands: unknown[] }[];
    return shells.reduce((sum, shell) => sum + shell.commands.length, 0);
  }

  it('completes Get-ChildI to Get-ChildItem with Tab', async () => {
    await page.keyboard.type('Get-ChildI');
    await page.keyboard.press('Tab');
    await expect.poll(() => lastTerminalLine(page), { timeout: 15_000 }).toMatch(/> Get-ChildItem$/);
    await shot('7-tab-completion');
    // Escape empties the line, as in PSReadLine.
    await page.keyboard.press('Escape');
    await expect.poll(() => lastTerminalLine(page), { timeout: 15_000 }).toMatch(/PS.*>$/);
  });

  it('runs two tabs at once, one to the restricted Lab.Restricted configuration and one to the default', async () => {
    await addHost({ name: 'lab-jea', group: 'Lab', auth: 'NTLM', configuration: 'Lab.Restricted' });
    await hostRow('lab-jea').dblclick();
    // The CA trusted for the group covers it; only its password is asked.
    await signIn('lab-jea', password, false);
    await atPrompt();
    expect(await page.getByRole('tab', { name: 'lab-jea' }).getAttribute('aria-selected')).toBe('true');
    await focusTerminal();
    await run('Get-Command');
    const restricted = await terminalText(page);
    expect(restricted).toMatch(/\bGet-Date\b/);
    expect(restricted).not.toMatch(/\bGet-ChildItem\b/);
    await run('$ExecutionContext.SessionState.LanguageMode');
    expect(await terminalText(page)).toContain('The syntax is not supported by this runspace');
    await shot('8-restricted-tab');

    await page.getByRole('tab', { name: 'lab', exact: true }).click();
    await focusTerminal();
    await run('$ExecutionContext.SessionState.LanguageMode');
    expect(await lastOutput()).toBe('FullLanguage');
    await page.getByRole('tab', { name: 'lab-jea' }).click();
    await focusTerminal();
    await run('Get-Date -Format yyyy');
    expect(await lastOutput()).toMatch(/^20\d\d$/);
    await shot('8-two-tabs');
    expect(problems).toEqual([]);
  });

  /** Types the answer to a secret prompt: it is never on screen, before or after Enter. */
  async function answerSecretly(secret: string): Promise<void> {
    await page.keyboard.type(secret);
    expect(await terminalText(page)).not.toContain(secret);
    const prompts = await promptCount();
    await page.keyboard.press('Enter');
    await expect.poll(promptCount, { timeout: 30_000 }).toBe(prompts + 1);
    expect(await terminalText(page)).not.toContain(secret);
  }

  /** The row before the last prompt: the last command's (one-line) output. */
  async function lastOutput(): Promise<string | undefined> {
    return (await terminalText(page)).split('\n').at(-2);
  }

  it('shows a wrong password as a plain sentence in the tab; the saved host is unharmed', async () => {
    for (const name of ['lab', 'lab-jea'])
      await page.getByRole('button', { name: `Close ${name}`, exact: true }).click();
    await addHost({ name: 'lab-pinned', auth: 'NTLM' });
    // The store writes in the background: wait for the file to hold the new host.
    await expect.poll(async () => (await savedHosts()).hosts.some((host) => host.name === 'lab-pinned')).toBe(true);
    const before = (await savedHosts()).hosts.find((host) => host.name === 'lab-pinned');
    await hostRow('lab-pinned').dblclick();
    // Not in the group: the lab's CA is not trusted for it. Pin the certificate the server presents, then sign in.
    const trust = dialog('Do you trust lab-pinned?');
    await trust.waitFor({ timeout: 30_000 });
    await trust.getByRole('button', { name: 'Pin this certificate for this host' }).click();
    await signIn('lab-pinned', wrongPassword, false);

    const failure = visiblePanel().getByRole('alert').first();
    await failure.waitFor({ timeout: 30_000 });
    const sentence = await failure.locator('p').first().innerText();
    // A sentence that says what to check, not a stack trace.
    expect(sentence).toMatch(/^Could not connect: /);
    expect(sentence).toContain(
      `rejected the credentials of ${descriptor.accounts[0]!.user} using NTLM: check the user name, its domain and the password.`,
    );
    expect(sentence).not.toMatch(/\n|\bat \S+ \(|Error:|undefined|\[object|server said/);
    await shot('9-wrong-password');

    const after = (await savedHosts()).hosts.find((host) => host.name === 'lab-pinned');
    expect(before).toBeDefined();
    expect(after).toEqual(before);
    await page.getByRole('button', { name: 'Close lab-pinned', exact: true }).click();
    // The right password through the host's actions, and the pinned certificate is trusted without a question.
    // The row's ⋯ button (a pointer's way to the row's menu, hidden from assistive technology).
    await hostRow('lab-pinned').locator('.row-menu-button').click();
    await page.getByRole('menuitem', { name: 'Set password…' }).click();
    await signIn('lab-pinned', password, false);
    await hostRow('lab-pinned').dblclick();
    await atPrompt();
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('warns loudly, with both fingerprints and the focus on Cancel, when the pinned certificate changes', async () => {
    await page.getByRole('button', { name: 'Close lab-pinned', exact: true }).click();
    const certificates = descriptor['server_certs'] as ServerCertificates;
    const admin = labAdmin(descriptor);
    await admin('POST', '/server-cert', { name: 'self_signed' });
    try {
      await hostRow('lab-pinned').dblclick();
      const warning = page.getByRole('alertdialog', { name: 'Warning: the certificate of lab-pinned has changed' });
      await warning.waitFor({ timeout: 30_000 });
      expect(await warning.getByTestId('pinned-fingerprint').allInnerTexts()).toEqual([
        grouped(certificates['chain']!.fingerprint_sha256),
      ]);
      expect(await warning.getByTestId('presented-fingerprint').innerText()).toBe(
        grouped(certificates['self_signed']!.fingerprint_sha256),
      );
      expect(await warning.innerText()).toContain('It is not the certificate you pinned');
      await expect
        .poll(() =>
          warning.getByRole('button', { name: 'Cancel' }).evaluate((button) => button === document.activeElement),
        )
        .toBe(true);
      await shot('3-pinned-certificate-changed');
      // Enter on the focused default cancels: the new certificate is not accepted.
      await page.keyboard.press('Enter');
      await warning.waitFor({ state: 'detached' });
      await visiblePanel().getByRole('alert').first().waitFor({ timeout: 30_000 });
      const trustFile = await readFile(path.join(dataDirectory, 'trust.json'), 'utf8');
      expect(trustFile).toContain(certificates['chain']!.fingerprint_sha256);
      expect(trustFile).not.toContain(certificates['self_signed']!.fingerprint_sha256);
    } finally {
      await admin('POST', '/server-cert', { name: 'chain' });
    }
    expect(problems).toEqual([]);
  });

  it('leaves no typed secret in the data directory, the logs or the renderer state; the keychain holds the password', async () => {
    const pageState = await page.evaluate(async () => {
      const storage = (area: Storage) =>
        Object.fromEntries(
          Array.from({ length: area.length }, (_, i) => area.key(i)!).map((k) => [k, area.getItem(k)]),
        );
      const databases: unknown[] = [];
      for (const { name } of await indexedDB.databases()) {
        if (name === undefined) continue;
        const database = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open(name);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        for (const store of Array.from(database.objectStoreNames)) {
          databases.push(
            await new Promise((resolve, reject) => {
              const request = database.transaction(store).objectStore(store).getAll();
              request.onsuccess = () => resolve(request.result);
              request.onerror = () => reject(request.error);
            }),
          );
        }
        database.close();
      }
      return JSON.stringify({
        html: document.documentElement.outerHTML,
        local: storage(localStorage),
        session: storage(sessionStorage),
        databases,
      });
    });
    await stopApp();
    // Each place searched holds what it should, so a miss below is not a search of nothing.
    expect(await filesContaining(dataDirectory, 'lab-pinned')).not.toEqual([]);
    expect(containsSecret(logs.join('\n'), 'winrm-desk: open http://127.0.0.1:')).toBe(true);
    expect(containsSecret(pageState, descriptor.host_name)).toBe(true);
    expect(receivedFrames.some((frame) => frame.includes(`hash:${secureAnswerHash}`))).toBe(true);

    for (const [label, secret] of [
      ['password', password],
      ['wrong password', wrongPassword],
      ['Read-Host -AsSecureString answer', secureAnswer],
      ['Get-Credential password', credentialAnswer],
    ] as const) {
      expect(await filesContaining(dataDirectory, secret), `${label} in the data directory`).toEqual([]);
      expect(containsSecret(logs.join('\n'), secret), `${label} in the bridge logs`).toBe(false);
      expect(containsSecret(pageState, secret), `${label} in the page`).toBe(false);
      expect(
        receivedFrames.filter((frame) => containsSecret(frame, secret)),
        `${label} in what the page received`,
      ).toEqual([]);
    }
    // The scan would have found them: the remembered password is in the keychain, seen by secret-tool.
    expect(rememberedPassword(await accountOf('lab'))).toBe(password);
  });
});
