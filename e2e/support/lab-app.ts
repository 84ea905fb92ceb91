import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { focusTerminal, lastTerminalLine, openFromSidebar, terminalText } from './app-page';
import { RunningLab } from './lab';
import type { OpenedApp, RendererAppFixture } from './renderer-app';
import { startRendererAppFixture } from './renderer-app';

/** The lab's PowerShell prompt as the terminal's last line shows it: a remote prompt names the host. */
export const LAB_PROMPT = /^\[win-lab\.lab\.test\]: PS .*>$/;

/** What an app test file runs against: its own lab and the renderer app fixture (see useLabApp). */
export interface LabApp {
  readonly lab: RunningLab;
  readonly fixture: RendererAppFixture;
  /**
   * Opens the app (RendererAppFixture.open) with terminals whose rows a test can read (no WebGL), in a page
   * of `viewport` size when given.
   */
  openApp(viewport?: { readonly width: number; readonly height: number }): Promise<OpenedApp>;
}

/**
 * Gives the calling describe block its lab (started with `labArgs`) and renderer app fixture: both start
 * before its tests, the app is closed after each test, both stop after all. Read the members in tests and
 * hooks only: they exist once the block's beforeAll has run.
 */
export function useLabApp(name: string, labArgs: readonly string[] = ['--enable-basic']): LabApp {
  let lab: RunningLab | undefined;
  let fixture: RendererAppFixture | undefined;
  beforeAll(async () => {
    // Each is kept as soon as it runs, so afterAll stops it even when the other failed to start.
    await Promise.all([
      RunningLab.start(labArgs).then((started) => (lab = started)),
      startRendererAppFixture(name).then((started) => (fixture = started)),
    ]);
  }, 120_000);
  afterAll(async () => {
    // Both are stopped even when one of them fails to.
    const stopped = await Promise.allSettled([fixture?.close(), lab?.stop()]);
    for (const result of stopped) if (result.status === 'rejected') throw result.reason;
  });
  afterEach(async () => fixture?.closeApp());
  const running = () => {
    if (lab === undefined || fixture === undefined) throw new Error(`the lab app of ${name} is not running`);
    return { lab, fixture };
  };
  return {
    get lab() {
      return running().lab;
    },
    get fixture() {
      return running().fixture;
    },
    async openApp(viewport) {
      const opened = await running().fixture.open({ webgl: false });
      if (viewport !== undefined) await opened.page.setViewportSize(viewport);
      return opened;
    },
  };
}

export interface ConnectOptions {
  /** The password typed into the sign-in dialog, for a host without a saved secret; `remember` ticks the keychain box. */
  readonly signIn?: { readonly password: string; readonly remember?: boolean };
  /** The first prompt, as the terminal's last line: the lab's PowerShell prompt unless given. */
  readonly prompt?: RegExp;
}

/**
 * Connects to `hostName` from the sidebar as a user does (its row, Enter), signs in when `signIn` says so,
 * waits for the first prompt and focuses the new tab's terminal. A host whose certificate is still to be
 * trusted asks that first: use openFromSidebar and answer the trust dialog instead.
 */
export async function connectFromSidebar(
  page: Page,
  hostName: string,
  { signIn, prompt = LAB_PROMPT }: ConnectOptions = {},
): Promise<void> {
  await openFromSidebar(page, hostName);
  if (signIn !== undefined) {
    const dialog = page.getByRole('dialog', { name: `Sign in to ${hostName}` });
    await dialog.getByLabel('Password', { exact: true }).fill(signIn.password);
    if (signIn.remember === true) await dialog.getByLabel('Remember in the keychain').check();
    await dialog.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect.poll(() => lastTerminalLine(page), { timeout: 30_000 }).toMatch(prompt);
  await focusTerminal(page);
}

/** PowerShell prompts on the visible terminal's screen. */
const promptCount = async (page: Page) => (await terminalText(page)).match(/PS .*>/g)?.length ?? 0;

/** Types `line` into the visible PowerShell terminal, presses Enter and waits for the prompt after it. */
export async function runAtPrompt(page: Page, line: string): Promise<void> {
  const prompts = await promptCount(page);
  await focusTerminal(page);
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  await expect.poll(() => promptCount(page), { timeout: 20_000 }).toBe(prompts + 1);
}
