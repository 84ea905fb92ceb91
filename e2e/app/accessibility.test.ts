import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../core/contract/settings-service';
import { THEMES } from '../../core/contract/settings-service';
import { lastTerminalLine, openFromSidebar, terminalText } from '../support/app-page';
import { LAB_PROMPT, useLabApp } from '../support/lab-app';
import { addLabHost } from '../support/lab-host';

const AXE_SOURCE = path.resolve('node_modules/axe-core/axe.min.js');
/** Served as if it were one of the app's own files: the page's CSP allows only same-origin scripts. */
const AXE_URL_PATH = '/__axe-core.min.js';

interface AxeViolation {
  readonly id: string;
  readonly impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

interface Finding {
  readonly line: string;
  readonly impact: AxeViolation['impact'];
}

/** axe-core's violations on the page as it is now, one line each ("state: impact id (help) targets"). */
async function axeViolations(page: Page, state: string): Promise<Finding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.route(`**${AXE_URL_PATH}`, (route) =>
      route.fulfill({ path: AXE_SOURCE, contentType: 'text/javascript; charset=utf-8' }),
    );
    await page.addScriptTag({ url: AXE_URL_PATH });
  }
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations.map(({ id, impact, help, nodes }) => {
    const targets = nodes.map((node) => node.target.join(' '));
    return { impact, line: `${state}: ${impact ?? 'unknown'} ${id} (${help}) ${targets.join(', ')}` };
  });
}

// The app's main states checked by axe-core in both themes, and the app used by keyboard alone: the
// renderer in Chromium, the real main services behind the web bridge, the lab's PowerShell behind WinRM.
describe('accessibility', () => {
  const labApp = useLabApp('a11y');

  it.each(THEMES)('axe finds no serious or critical problem in the %s theme', async (theme: Settings['theme']) => {
    const { bridge, page, problems } = await labApp.openApp({ width: 1280, height: 800 });
    const { hosts, settings } = bridge.app.services;
    await settings.update({ theme });
    await page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });
    const found: Finding[] = [];
    const check = async (state: string) => {
      found.push(...(await axeViolations(page, `${theme} ${state}`)));
      await page.screenshot({ path: `test-results/a11y-${theme}-${state}.png` });
    };

    await page.getByText('No saved hosts yet.').waitFor();
    await check('empty');

    const group = await hosts.addGroup({ name: 'Servers' });
    // Its CA is not trusted yet: connecting shows the trust dialog.
    await addLabHost(bridge.app.services, labApp.lab.descriptor, { draft: { groupId: group.id }, trustCa: false });
    await hosts.add({ draft: { name: 'web01', address: 'web01.corp.example', user: 'CORP\\alice' } });
    await page.getByRole('treeitem', { name: 'web01' }).waitFor();
    await check('sidebar');

    await page.getByRole('button', { name: 'Add host' }).click();
    const form = page.getByRole('dialog', { name: 'Add a host' });
    await form.getByText('Advanced options').click();
    await form.getByLabel('Message encryption', { exact: true }).waitFor();
    await check('host-form');
    await page.keyboard.press('Escape');
    await form.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Settings' }).click();
    const settingsDialog = page.getByRole('dialog', { name: 'Settings' });
    await settingsDialog.waitFor();
    await check('settings');
    await settingsDialog.getByRole('button', { name: 'Close' }).click();

    await openFromSidebar(page, 'lab');
    // The server's certificate is decided first (DESIGN.md §1), then Basic asks for the password.
    const trustDialog = page.getByRole('dialog', { name: 'Do you trust lab?' });
    await trustDialog.waitFor({ timeout: 30_000 });
    await check('trust-dialog');
    await trustDialog.getByRole('button', { name: 'Trust the CA' }).click();
    const signIn = page.getByRole('dialog', { name: 'Sign in to lab' });
    await signIn.waitFor({ timeout: 30_000 });
    await check('credential-dialog');
    await signIn.getByLabel('Password', { exact: true }).fill(labApp.lab.descriptor.accounts[0]!.password);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => lastTerminalLine(page), { timeout: 30_000 }).toMatch(LAB_PROMPT);
    await check('session');

    console.log(found.length === 0 ? `${theme}: axe found nothing` : found.map((entry) => entry.line).join('\n'));
    const severe = found.filter((entry) => entry.impact === 'serious' || entry.impact === 'critical');
    expect(severe.map((entry) => entry.line)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('can be used by keyboard alone, with the focus always visible', async () => {
    const { bridge, page, problems } = await labApp.openApp({ width: 1280, height: 800 });
    const descriptor = labApp.lab.descriptor;
    const alice = descriptor.accounts[0]!;

    /** The focused element in words, and whether its focus is drawn (outline or box shadow). */
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        if (element === null || element === document.body) return { name: 'body', visible: false };
        const style = getComputedStyle(element);
        const label =
          element.getAttribute('aria-label') ??
          (element.id === '' ? null : document.querySelector(`label[for="${CSS.escape(element.id)}"]`)?.textContent) ??
          element.textContent?.trim().slice(0, 40) ??
          '';
        const name = `${element.getAttribute('role') ?? element.tagName.toLowerCase()} ${label}`;
        // The terminal's input is xterm's hidden textarea: xterm shows its focus on the terminal element.
        const drawn = element.classList.contains('xterm-helper-textarea')
          ? (element.closest('.xterm') as HTMLElement)
          : element;
        const drawnStyle = drawn === element ? style : getComputedStyle(drawn);
        const visible =
          element.matches(':focus-visible') &&
          ((drawnStyle.outlineStyle !== 'none' && parseFloat(drawnStyle.outlineWidth) > 0) ||
            drawnStyle.boxShadow !== 'none');
        return { name, visible };
      });
    /** Presses Tab until `matches` the focused element's name, checking each stop has a visible focus. */
    const tabTo = async (matches: RegExp, limit = 30) => {
      const visited: string[] = [];
      for (let step = 0; step < limit; step++) {
        await page.keyboard.press('Tab');
        const { name, visible } = await focused();
        visited.push(name);
        // Past the page's last control Tab leaves the page (the browser's own controls), then comes back.
        if (name === 'body') continue;
        expect(visible, `focus visible on ${name}`).toBe(true);
        if (matches.test(name)) return;
      }
      throw new Error(`Tab never reached ${String(matches)}; visited ${visited.join(' | ')}`);
    };

    // The lab's CA is trusted beforehand for whatever host is added: this walk is about the keyboard.
    const trusted = bridge.app.services.hosts.onDidChangeHosts(({ hosts }) => {
      for (const host of hosts) {
        for (const file of [descriptor['root_ca'], descriptor['issuing_ca']] as string[]) {
          void bridge.app.services.trust.importAuthority({
            scope: { kind: 'host', hostId: host.id },
            pem: readFileSync(file, 'utf8'),
          });
        }
      }
    });

    await tabTo(/^button Add host$/);
    await page.keyboard.press('Enter');
    const form = page.getByRole('dialog', { name: 'Add a host' });
    await form.waitFor();
    expect((await focused()).name).toMatch(/^input Name|^input$/);
    await page.keyboard.type('lab');
    await tabTo(/Address/, 2);
    await page.keyboard.type('127.0.0.1');
    await tabTo(/Port/, 2);
    await page.keyboard.press('Control+a');
    await page.keyboard.type(new URL(descriptor.https_url).port);
    await tabTo(/Authentication|select/, 4);
    await page.keyboard.type('b'); // Basic
    await tabTo(/User/, 2);
    await page.keyboard.type(alice.user);
    await page.keyboard.press('Enter');
    await form.waitFor({ state: 'detached' });
    trusted.dispose();

    // The tree is one Tab stop; arrow keys move within it.
    await tabTo(/^treeitem\W*Ungrouped 1\b/);
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toEqual({
      name: expect.stringMatching(/^treeitem\W*lab 127\.0\.0\.1:\d+ · /),
      visible: true,
    });
    await page.keyboard.press('Enter');
    const signIn = page.getByRole('dialog', { name: 'Sign in to lab' });
    await signIn.waitFor({ timeout: 30_000 });
    expect((await focused()).name).toMatch(/Password/);
    await page.keyboard.type(alice.password);
    await page.keyboard.press('Enter');
    await expect.poll(() => lastTerminalLine(page), { timeout: 30_000 }).toMatch(/PS .*> ?$/);
    await tabTo(/^textarea PowerShell on lab$/);
    await page.keyboard.type('Get-Date');
    await page.keyboard.press('Enter');
    await expect.poll(() => terminalText(page), { timeout: 20_000 }).toMatch(/\b20\d\d\b/);
    await page.screenshot({ path: 'test-results/a11y-keyboard-terminal.png' });
    expect(problems).toEqual([]);
  });
});
