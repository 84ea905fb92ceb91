import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fields of the lab's JSON descriptor that TypeScript tests read (e2e/lab/README.md lists them all). */
export interface LabDescriptor {
  readonly http_url: string;
  readonly https_url: string;
  readonly host_name: string;
  readonly admin_url: string;
  readonly admin_token: string;
  readonly ca_bundle: string;
  readonly realm: string;
  readonly accounts: readonly { readonly user: string; readonly password: string }[];
  readonly [field: string]: unknown;
}

const labDirectory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../lab');
const labPython = '/usr/bin/python3'; // Debian's Python: the only one that sees python3-gssapi and friends

/** The lab's admin endpoint (e2e/lab/README.md): settings, faults, certificates, shells. Throws on a non-2xx answer. */
export type LabAdmin = (method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown) => Promise<unknown>;

export function labAdmin(lab: Pick<LabDescriptor, 'admin_url' | 'admin_token'>): LabAdmin {
  return async (method, route, body) => {
    const response = await fetch(`${lab.admin_url}${route}`, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-Lab-Token': lab.admin_token },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`lab admin ${method} ${route}: ${response.status} ${await response.text()}`);
    return response.json();
  };
}

/** A running lab: a child process and the descriptor it wrote once every listener was ready. */
export class RunningLab {
  private constructor(
    private readonly child: ChildProcess,
    private readonly workDirectory: string,
    readonly descriptor: LabDescriptor,
  ) {}

  /** Starts the lab with `args` (see e2e/lab/README.md) and waits for its descriptor. */
  static async start(args: readonly string[] = [], readyTimeoutMs = 60_000): Promise<RunningLab> {
    const workDirectory = mkdtempSync(path.join(os.tmpdir(), 'winrm-desk-lab-'));
    const descriptorPath = path.join(workDirectory, 'lab.json');
    const child = spawn(labPython, ['-m', 'winrm_lab', '--descriptor', descriptorPath, ...args], {
      cwd: labDirectory,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + readyTimeoutMs;
    while (!existsSync(descriptorPath)) {
      const early = await Promise.race([exited, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 50))]);
      if (early !== 'waiting') {
        rmSync(workDirectory, { recursive: true, force: true });
        throw new Error(`the lab exited with code ${early} before it was ready:\n${output}`);
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        rmSync(workDirectory, { recursive: true, force: true });
        throw new Error(`the lab was not ready within ${readyTimeoutMs} ms:\n${output}`);
      }
    }
    const descriptor = JSON.parse(readFileSync(descriptorPath, 'utf8')) as LabDescriptor;
    return new RunningLab(child, workDirectory, descriptor);
  }

  /** Stops the lab with SIGTERM (it cleans up its children, KDC and files) and returns its exit code. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
      rmSync(this.workDirectory, { recursive: true, force: true });
    }
  }

  /** Changes WinRM service settings through the lab's admin endpoint. */
  async settings(changes: Record<string, unknown>): Promise<Record<string, unknown>> {
    return (await labAdmin(this.descriptor)('POST', '/settings', changes)) as Record<string, unknown>;
  }
}
