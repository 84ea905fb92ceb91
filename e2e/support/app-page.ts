import type { Locator, Page } from 'playwright-core';

/**
 * Helpers for app tests that drive the app's page in Chromium: its sidebar and the terminal of the visible tab.
 */

/**
 * Makes the page's terminals use xterm's DOM renderer, whose rows are text a test can read (the WebGL
 * renderer draws on a canvas), by refusing WebGL2 contexts. Call before the page navigates.
 */
export async function refuseWebgl(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const getContext = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, ...args: unknown[]) {
      return args[0] === 'webgl2' ? null : (getContext as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof getContext;
  });
}

/** The rows of the visible tab's terminal, from the DOM renderer (see `refuseWebgl`), right-trimmed. */
export function terminalRows(page: Page): Promise<string[]> {
  return page
    .locator('[role="tabpanel"]:not([hidden]) .xterm-rows')
    .evaluate((rows) => Array.from(rows.children).map((row) => (row.textContent ?? '').trimEnd()));
}

/** The visible terminal's text without its trailing blank rows. */
export async function terminalText(page: Page): Promise<string> {
  return (await terminalRows(page)).join('\n').trimEnd();
}

/** The visible terminal's last non-blank row. */
export async function lastTerminalLine(page: Page): Promise<string | undefined> {
  return (await terminalText(page)).split('\n').at(-1);
}

/**
 * The sidebar row of a host or group by its name: a row's accessible name is its visible text, the name first
 * (a host's address and user follow, a group's host count).
 */
export function hostTreeRow(page: Page, name: string): Locator {
  return page.getByRole('treeitem', { name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `) });
}

/** Opens a session to `hostName` as a user does: focuses its sidebar row and presses Enter. */
export async function openFromSidebar(page: Page, hostName: string): Promise<void> {
  await hostTreeRow(page, hostName).first().focus();
  await page.keyboard.press('Enter');
}

/** Focuses the visible tab's terminal (xterm's input), where typed keys go to the session. */
export async function focusTerminal(page: Page): Promise<void> {
  await page.locator('[role="tabpanel"]:not([hidden]) .xterm-helper-textarea').focus();
}
