import react from '@vitejs/plugin-react';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The harness declares `window.terminalHarness`.
import type {} from '../../renderer/src/terminal/harness/harness';
import type { ProgressRecord } from '../../renderer/src/terminal/progress';
import type { TerminalEvent } from '../../renderer/src/terminal/TerminalView';
import { chromiumExecutable, chromiumFlags, launchChromium } from '../support/chromium';
import { serveDirectory } from '../support/static-site';

const harnessRoot = path.resolve('renderer/src/terminal/harness');
const outDir = path.resolve('dist/terminal-harness');
const PROMPT = 'PS C:\\>';

function progress(activityId: number, fields: Partial<ProgressRecord> = {}): ProgressRecord {
  return {
    activity: `Activity ${activityId}`,
    activityId,
    statusDescription: 'Working',
    currentOperation: null,
    parentActivityId: -1,
    percentComplete: 40,
    secondsRemaining: -1,
    recordType: 'Processing',
    ...fields,
  };
}

// The terminal view in Debian's Chromium: Vite builds a harness page that mounts TerminalView against a
// fake session (echo, completion, Read-Host, a command that runs until Ctrl+C); the tests type with the
// keyboard and read the screen through xterm's buffer.
describe('terminal view in Chromium', () => {
  let site: Awaited<ReturnType<typeof serveDirectory>>;
  let baseUrl: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  const screen = (page: Page) => page.evaluate(() => window.terminalHarness.screen());
  const lastLine = async (page: Page) => (await screen(page)).at(-1);
  const emit = (page: Page, event: TerminalEvent) => page.evaluate((sent) => window.terminalHarness.emit(sent), event);

  const openHarness = async (): Promise<{ page: Page; problems: string[] }> => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 900, height: 420 });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(baseUrl);
    await expect.poll(() => lastLine(page)).toBe(PROMPT);
    await page.locator('.xterm-helper-textarea').focus();
    return { page, problems };
  };

  beforeAll(async () => {
    await build({
      configFile: false,
      root: harnessRoot,
      base: './',
      plugins: [react()],
      logLevel: 'error',
      build: { outDir, emptyOutDir: true },
    });
    site = await serveDirectory(outDir);
    baseUrl = site.url;
    browser = await launchChromium();
    mkdirSync('test-results', { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('draws with WebGL where a GPU draws it, and with the DOM renderer otherwise, without errors', async () => {
    const { page, problems } = await openHarness();
    const usesWebgl = () => page.evaluate(() => document.querySelector('.xterm-screen canvas') !== null);
    const usesDom = () => page.evaluate(() => document.querySelector('.xterm-rows') !== null);
    // This machine has no GPU: Chromium's WebGL2 is SwiftShader (software), which the terminal declines.
    const webglRenderer = await page.evaluate(() => {
      const context = document.createElement('canvas').getContext('webgl2');
      const info = context?.getExtension('WEBGL_debug_renderer_info');
      return context && info ? String(context.getParameter(info.UNMASKED_RENDERER_WEBGL)) : null;
    });
    expect(await usesWebgl()).toBe(webglRenderer !== null && !/SwiftShader|llvmpipe|softpipe/i.test(webglRenderer));

    const withoutWebgl = await chromium.launch({
      executablePath: chromiumExecutable,
      headless: true,
      args: [...chromiumFlags, '--disable-3d-apis'],
    });
    try {
      const domPage = await withoutWebgl.newPage();
      const domProblems: string[] = [];
      domPage.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') domProblems.push(message.text());
      });
      domPage.on('pageerror', (error) => domProblems.push(error.message));
      await domPage.goto(baseUrl);
      await expect.poll(() => domPage.evaluate(() => window.terminalHarness.screen())).toEqual([PROMPT]);
      expect(await domPage.evaluate(() => document.createElement('canvas').getContext('webgl2'))).toBeNull();
      expect(await domPage.evaluate(() => document.querySelector('.xterm-rows') !== null)).toBe(true);
      await domPage.locator('.xterm-helper-textarea').focus();
      await domPage.keyboard.type('echo dom');
      await domPage.keyboard.press('Enter');
      await expect
        .poll(() => domPage.evaluate(() => window.terminalHarness.screen()))
        .toEqual([`${PROMPT} echo dom`, 'echo dom', PROMPT]);
      await domPage.screenshot({ path: 'test-results/terminal-dom-renderer.png' });
      expect(domProblems).toEqual([]);
    } finally {
      await withoutWebgl.close();
    }
    expect(await usesDom()).toBe(!(await usesWebgl()));
    expect(problems).toEqual([]);
  });

  it('runs a typed command, shows its output and a new prompt; Up recalls it', async () => {
    const { page, problems } = await openHarness();
    await page.keyboard.type('echo hello');
    await page.keyboard.press('Enter');
    await expect.poll(() => screen(page)).toEqual([`${PROMPT} echo hello`, 'echo hello', PROMPT]);
    expect(await page.evaluate(() => window.terminalHarness.inputs)).toEqual([
      { type: 'submit', text: 'echo hello', history: ['echo hello'] },
    ]);
    // Flow control: the output chunk was acknowledged once xterm had written it.
    expect(await page.evaluate(() => window.terminalHarness.written)).toEqual([1]);

    await page.keyboard.press('ArrowUp');
    await expect.poll(() => lastLine(page)).toBe(`${PROMPT} echo hello`);
    expect(await page.evaluate(() => window.terminalHarness.cursor())).toEqual({ row: 2, column: 18 });
    await page.keyboard.press('Escape');
    await page.keyboard.type('日本 ok');
    await expect.poll(() => lastLine(page)).toBe(`${PROMPT} 日本 ok`);
    // 日 and 本 take two cells each.
    expect(await page.evaluate(() => window.terminalHarness.cursor())).toEqual({ row: 2, column: 15 });
    await page.screenshot({ path: 'test-results/terminal-command.png' });
    expect(problems).toEqual([]);
  });

  it('Tab completes Get-ChildI to Get-ChildItem and cycles several matches under a list', async () => {
    const { page, problems } = await openHarness();
    await page.keyboard.type('Get-ChildI');
    await page.keyboard.press('Tab');
    await expect.poll(() => lastLine(page)).toBe(`${PROMPT} Get-ChildItem`);

    await page.keyboard.press('Escape');
    await page.keyboard.type('Get-C');
    await page.keyboard.press('Tab');
    await expect
      .poll(() => screen(page))
      .toEqual([
        `${PROMPT} Get-ChildItem`,
        'Get-ChildItem  Get-Command    Get-Content',
        'Get-ChildItem [[-Path] <string[]>]',
      ]);
    await page.keyboard.press('Tab');
    await expect
      .poll(() => screen(page))
      .toEqual([
        `${PROMPT} Get-Command`,
        'Get-ChildItem  Get-Command    Get-Content',
        'Get-Command [[-Path] <string[]>]',
      ]);
    await page.screenshot({ path: 'test-results/terminal-completion.png' });
    await page.keyboard.press('Enter');
    await expect.poll(() => screen(page)).toEqual([`${PROMPT} Get-Command`, 'Get-Command', PROMPT]);
    expect(problems).toEqual([]);
  });

  it('Ctrl+C at an idle prompt prints ^C and a fresh prompt; while a command runs it stops it', async () => {
    const { page, problems } = await openHarness();
    await page.keyboard.type('Remove-Item *');
    await page.keyboard.press('Control+C');
    await expect.poll(() => screen(page)).toEqual([`${PROMPT} Remove-Item *^C`, PROMPT]);
    expect(await page.evaluate(() => window.terminalHarness.inputs)).toEqual([]);

    await page.keyboard.type('sleep');
    await page.keyboard.press('Enter');
    await expect.poll(() => screen(page)).toEqual([`${PROMPT} Remove-Item *^C`, `${PROMPT} sleep`]);
    await page.keyboard.press('Control+C');
    await expect.poll(() => lastLine(page)).toBe(PROMPT);
    expect((await page.evaluate(() => window.terminalHarness.inputs)).map((input) => input.type)).toEqual([
      'submit',
      'interrupt',
    ]);

    // With text selected, Ctrl+C copies it and cancels nothing.
    const before = await screen(page);
    await page.evaluate(() => window.terminalHarness.terminal?.select(8, 0, 11));
    await page.keyboard.press('Control+C');
    await expect.poll(() => page.evaluate(() => window.terminalHarness.copied)).toEqual(['Remove-Item']);
    expect(await screen(page)).toEqual(before);
    expect(await page.evaluate(() => window.terminalHarness.terminal?.hasSelection())).toBe(false);
    expect(problems).toEqual([]);
  });

  it('draws Write-Progress bars, nested, below the output and never into the scrollback', async () => {
    const { page, problems } = await openHarness();
    await page.keyboard.type('sleep');
    await page.keyboard.press('Enter');
    await emit(page, {
      type: 'progress',
      source: 1,
      record: progress(1, {
        activity: 'Copying files',
        statusDescription: '5 of 10',
        percentComplete: 50,
        secondsRemaining: 30,
      }),
    });
    await emit(page, {
      type: 'progress',
      source: 1,
      record: progress(2, { activity: 'Inner work', parentActivityId: 1 }),
    });
    await expect
      .poll(() => screen(page))
      .toEqual([
        `${PROMPT} sleep`,
        expect.stringMatching(/^Copying files \[5 of 10 +30s\]$/),
        expect.stringMatching(/^ {2}Inner work \[Working +\]$/),
      ]);
    await page.screenshot({ path: 'test-results/terminal-progress.png' });

    for (let line = 1; line <= 40; line += 1) {
      await emit(page, { type: 'output', data: `output line ${line}\r\n`, sequence: line });
    }
    await expect.poll(() => page.evaluate(() => window.terminalHarness.written.length)).toBe(40);
    const everything = await page.evaluate(() => window.terminalHarness.buffer());
    expect(everything.filter((line) => line.includes('['))).toHaveLength(2);
    expect(everything.slice(-3)).toEqual([
      'output line 40',
      expect.stringMatching(/^Copying files \[/),
      expect.stringMatching(/^ {2}Inner work \[/),
    ]);

    await emit(page, { type: 'progress', source: 1, record: progress(1, { recordType: 'Completed' }) });
    await expect.poll(() => lastLine(page)).toBe('output line 40');
    expect((await page.evaluate(() => window.terminalHarness.buffer())).some((line) => line.includes('['))).toBe(false);
    await page.keyboard.press('Control+C');
    await expect.poll(() => lastLine(page)).toBe(PROMPT);
    expect(problems).toEqual([]);
  });

  it('shows progress above a prompt and takes it away on Completed', async () => {
    const { page } = await openHarness();
    await page.keyboard.type('typed');
    await emit(page, { type: 'progress', source: 7, record: progress(3, { activity: 'Sync' }) });
    await expect.poll(() => screen(page)).toEqual([expect.stringMatching(/^Sync \[/), `${PROMPT} typed`]);
    await emit(page, { type: 'progress', source: 7, record: progress(3, { recordType: 'Completed' }) });
    await expect.poll(() => screen(page)).toEqual([`${PROMPT} typed`]);
  });

  it('answers Read-Host inline, and continues unfinished blocks with >>', async () => {
    const { page, problems } = await openHarness();
    await page.keyboard.type('read');
    await page.keyboard.press('Enter');
    await expect.poll(() => lastLine(page)).toBe('Name:');
    await page.keyboard.type('Ada');
    await page.keyboard.press('Enter');
    await expect.poll(() => screen(page)).toEqual([`${PROMPT} read`, 'Name: Ada', 'Hello, Ada', PROMPT]);

    await page.keyboard.type('if ($true) {');
    await page.keyboard.press('Enter');
    await page.keyboard.type('1');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('}');
    await expect.poll(async () => (await screen(page)).slice(-3)).toEqual([`${PROMPT} if ($true) {`, '>> 1', '>> }']);
    expect(problems).toEqual([]);
  });

  it('asks before pasting several lines and pastes them only when allowed', async () => {
    const { page } = await openHarness();
    const paste = (text: string) =>
      page.evaluate((pasted) => {
        const data = new DataTransfer();
        data.setData('text/plain', pasted);
        document
          .querySelector('.xterm-helper-textarea')
          ?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      }, text);
    await page.evaluate(() => (window.terminalHarness.allowPaste = false));
    await paste('Stop-Computer\nRestart-Computer');
    await expect
      .poll(() => page.evaluate(() => window.terminalHarness.pastes))
      .toEqual(['Stop-Computer\nRestart-Computer']);
    expect(await lastLine(page)).toBe(PROMPT);
    await page.evaluate(() => (window.terminalHarness.allowPaste = true));
    await paste('Get-Date\nGet-Host');
    await expect.poll(() => screen(page)).toEqual([`${PROMPT} Get-Date`, '>> Get-Host']);
    await paste('one line');
    await expect.poll(() => lastLine(page)).toBe('>> Get-Hostone line');
    expect(await page.evaluate(() => window.terminalHarness.pastes)).toHaveLength(2);
  });

  it('reports its size, and redraws the line being typed when the window narrows', async () => {
    const { page } = await openHarness();
    const first = await page.evaluate(() => window.terminalHarness.resizes.at(-1));
    expect(first?.columns).toBeGreaterThan(60);
    const long = 'Write-Output abcdefghijklmnopqrstuvwxyz0123456789';
    await page.keyboard.type(long);
    await page.setViewportSize({ width: 320, height: 420 });
    await expect.poll(() => page.evaluate(() => window.terminalHarness.resizes.at(-1)?.columns)).toBeLessThan(40);
    const columns = (await page.evaluate(() => window.terminalHarness.resizes.at(-1)?.columns)) ?? 0;
    const expected = `${PROMPT} ${long}`;
    const rowsOfLine = Array.from({ length: Math.ceil(expected.length / columns) }, (_, row) =>
      expected.slice(row * columns, (row + 1) * columns),
    );
    await expect.poll(() => screen(page)).toEqual(rowsOfLine);
    await page.screenshot({ path: 'test-results/terminal-narrow.png' });
  });

  it('finds text with Ctrl+Shift+F and hands links to the app instead of opening them', async () => {
    const { page, problems } = await openHarness();
    await emit(page, { type: 'output', data: 'docs at https://example.com/help and more\r\n', sequence: 1 });
    await page.keyboard.press('Control+Shift+F');
    const search = page.getByRole('searchbox', { name: 'Text to find' });
    await search.fill('example');
    await search.press('Enter');
    await expect.poll(() => page.evaluate(() => window.terminalHarness.terminal?.getSelection())).toBe('example');
    await search.press('Escape');
    expect(await page.getByRole('search').count()).toBe(0);

    // Click the middle of the link: 20 cells in on the first row.
    const box = await page.locator('.xterm-screen').boundingBox();
    const cell = await page.evaluate(() => {
      const terminal = window.terminalHarness.terminal;
      const element = document.querySelector('.xterm-screen');
      return {
        width: (element?.clientWidth ?? 0) / (terminal?.cols ?? 1),
        height: (element?.clientHeight ?? 0) / (terminal?.rows ?? 1),
      };
    });
    if (!box) throw new Error('no terminal screen');
    await page.mouse.move(box.x + cell.width * 20.5, box.y + cell.height * 0.5);
    await page.mouse.click(box.x + cell.width * 20.5, box.y + cell.height * 0.5);
    await expect.poll(() => page.evaluate(() => window.terminalHarness.links)).toEqual(['https://example.com/help']);
    expect(await page.getByRole('region', { name: 'PowerShell on harness' }).count()).toBe(1);
    expect(problems).toEqual([]);
  });
});
