// `npm start`: installs the npm dependencies when they are missing, builds the renderer (Vite) and main
// (esbuild) into dist/, then starts the Electron app — or, where the Electron binary is absent, the web
// bridge in the system browser, saying why. Runs until the app quits or Ctrl+C.
//
// Environment: WINRM_DESK_NO_BROWSER=1 prints the bridge's address without opening a browser;
// WINRM_DESK_PORT fixes the bridge's port; WINRM_DESK_DATA_DIR moves the data directory.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (text) => console.log(`winrm-desk: ${text}`);
const run = (command, args, env = {}) =>
  execFileSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

installDependencies();
await build();
const electron = electronBinary();
if (electron.binary !== undefined) runElectron(electron.binary);
else await runWebBridge(electron.missing);

function installDependencies() {
  if (existsSync(path.join(root, 'node_modules', '.package-lock.json'))) return;
  say('installing the npm dependencies (npm ci)…');
  const install = (env) =>
    run('npm', ['ci', '--no-audit', '--no-fund'], { PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', ...env });
  try {
    install({});
  } catch {
    // Electron's install step downloads its binary; without network the app still runs in a browser.
    say('the install failed, most likely downloading Electron; installing without the Electron binary…');
    install({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
  }
}

async function build() {
  say('building the renderer (Vite) and main (esbuild)…');
  run('npx', ['vite', 'build', '--logLevel', 'warn']);
  const esbuild = await import('esbuild');
  const common = { absWorkingDir: root, bundle: true, sourcemap: true, logLevel: 'warning', target: 'node20' };
  await Promise.all([
    // The composition root, for the web bridge.
    esbuild.build({
      ...common,
      entryPoints: ['main/index.ts'],
      outfile: 'dist/main/index.mjs',
      platform: 'node',
      format: 'esm',
      packages: 'external',
    }),
    // package.json "main".
    esbuild.build({
      ...common,
      entryPoints: ['main/electron/main.ts'],
      outfile: 'dist/main/electron/main.cjs',
      platform: 'node',
      format: 'cjs',
      packages: 'external',
    }),
    // A sandboxed preload is one CommonJS file that may require only 'electron'.
    esbuild.build({
      ...common,
      entryPoints: ['main/electron/preload.ts'],
      outfile: 'dist/main/electron/preload.cjs',
      platform: 'browser',
      format: 'cjs',
      external: ['electron'],
    }),
  ]);
}

/** Finds the Electron binary the way the `electron` package's index.js does: path.txt names it under dist/. */
function electronBinary() {
  const packageDirectory = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(packageDirectory, 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      missing:
        'node_modules/electron/path.txt is missing, so the Electron binary was never downloaded ' +
        '(the npm dependencies were installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1, or offline)',
    };
  }
  const executable = readFileSync(pathFile, 'utf8');
  const binary = process.env.ELECTRON_OVERRIDE_DIST_PATH
    ? path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, executable || 'electron')
    : path.join(packageDirectory, 'dist', executable);
  return existsSync(binary) ? { binary } : { missing: `the Electron binary ${binary} does not exist` };
}

function runElectron(binary) {
  say('starting the desktop app (Electron)…');
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [root], { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
}

async function runWebBridge(why) {
  say(`${why}.`);
  say('Starting the web bridge instead: the same app, in your browser, served on 127.0.0.1 only.');
  const { startWebBridgeApp } = await import(pathToFileURL(path.join(root, 'dist', 'main', 'index.mjs')).href);
  const bridge = await startWebBridgeApp({
    rendererDirectory: path.join(root, 'dist', 'renderer'),
    port: Number(process.env.WINRM_DESK_PORT ?? 0),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1); // a second Ctrl+C does not wait
    stopping = true;
    say('stopping…');
    await bridge.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  say(`open ${bridge.url}`);
  say('(the address carries this run’s access token; keep it to yourself). Ctrl+C stops WinRM Desk.');
  if (process.env.WINRM_DESK_NO_BROWSER === '1') return;
  const opened = await openBrowser(bridge.url);
  if (!opened.ok) say(`could not open a browser (${opened.reason}); open the address above yourself.`);
}

/** The system's "open this URL" command; resolves with whether it worked. */
function openBrowser(url) {
  const [command, args, options] =
    process.platform === 'darwin'
      ? ['open', [url], {}]
      : process.platform === 'win32'
        ? ['cmd.exe', ['/d', '/s', '/c', `start "" "${url}"`], { windowsVerbatimArguments: true }]
        : ['xdg-open', [url], {}];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', ...options });
    child.once('error', (error) => resolve({ ok: false, reason: `${command}: ${error.message}` }));
    child.once('exit', (code) =>
      resolve(code === 0 ? { ok: true } : { ok: false, reason: `${command} exited with code ${code}` }),
    );
  });
}
