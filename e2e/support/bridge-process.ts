import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { build as bundle } from 'esbuild';
import { build } from 'vite';

/**
 * The web bridge app as a separate Node process (e2e/support/bridge-process-main.ts): what `npm start`
 * runs without Electron, with the real keychain and logger, so a test can stop it and start a new one on
 * the same data directory the way a user restarts the app. Built once per test file into its own
 * directory (test files run in parallel).
 */
export interface BridgeProcessBuild {
  /** Starts a bridge process on `dataDirectory` and waits for the address it prints. */
  start(dataDirectory: string): Promise<BridgeProcess>;
  /** Removes the build. */
  remove(): Promise<void>;
}

export interface BridgeProcess {
  /** The page's address, with this run's token. */
  readonly url: string;
  /** Everything the process wrote so far (its log). */
  stdout(): string;
  stderr(): string;
  /** Stops it with SIGTERM (the bridge closes and flushes its stores) and returns its exit code. */
  stop(): Promise<number | null>;
}

export async function buildBridgeProcess(name: string): Promise<BridgeProcessBuild> {
  const directory = path.resolve(`dist/bridge-process-${name}`);
  const rendererDirectory = path.join(directory, 'renderer');
  const entry = path.join(directory, 'bridge.mjs');
  await Promise.all([
    build({ configFile: path.resolve('vite.config.ts'), logLevel: 'error', build: { outDir: rendererDirectory } }),
    // Packages stay external, resolved from the repository's node_modules, as in scripts/start.js.
    bundle({
      entryPoints: [path.resolve('e2e/support/bridge-process-main.ts')],
      outfile: entry,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    }),
  ]);
  return {
    start: (dataDirectory) => startBridgeProcess(entry, rendererDirectory, dataDirectory),
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}

async function startBridgeProcess(
  entry: string,
  rendererDirectory: string,
  dataDirectory: string,
  readyTimeoutMs = 30_000,
): Promise<BridgeProcess> {
  const child: ChildProcess = spawn(process.execPath, [entry, rendererDirectory], {
    env: { ...process.env, WINRM_DESK_DATA_DIR: dataDirectory },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`no address within ${readyTimeoutMs} ms:\n${stderr}`)),
      readyTimeoutMs,
    );
    const look = () => {
      const found = /^winrm-desk: open (\S+)$/m.exec(stdout)?.[1];
      if (found !== undefined) finish(found);
    };
    const early = (code: number | null) => finish(new Error(`the bridge exited with code ${code}:\n${stderr}`));
    function finish(result: string | Error) {
      clearTimeout(timer);
      child.stdout?.off('data', look);
      child.off('exit', early);
      if (typeof result === 'string') resolve(result);
      else {
        child.kill('SIGKILL');
        reject(result);
      }
    }
    child.stdout?.on('data', look);
    child.once('exit', early);
  });

  return {
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}
