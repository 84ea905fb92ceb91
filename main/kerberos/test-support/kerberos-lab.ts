import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';

/**
 * Test harness for Kerberos interop: a throwaway MIT realm on 127.0.0.1 and a python3-gssapi acceptor,
 * both Python scripts in core/auth/kerberos/test-support/ run by /usr/bin/python3. Every MIT tool they
 * run sees KRB5_CONFIG = the throwaway realm's krb5.conf, never the system's.
 */

const REPOSITORY = path.resolve(import.meta.dirname, '../../..');
const SCRIPTS = path.join(REPOSITORY, 'core/auth/kerberos/test-support');
const PYTHON = '/usr/bin/python3';

export interface TestRealm {
  readonly realm: string;
  readonly kdc: string;
  readonly krb5Conf: string;
  readonly keytab: string;
  readonly directory: string;
  readonly host: string;
  readonly fallbackHost: string;
  readonly unknownHost: string;
  readonly passwords: Readonly<Record<'alice' | 'bob' | 'aes128' | 'rc4', string>>;
  /** Environment for MIT tools and the acceptor: this realm only. */
  readonly environment: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** One JSON line at a time over a child's stdin/stdout. */
class JsonLines {
  readonly #lines: Interface;
  readonly #pending: ((line: string) => void)[] = [];
  readonly #buffered: string[] = [];
  #stderr = '';

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    this.#lines = createInterface({ input: child.stdout });
    this.#lines.on('line', (line) => {
      const waiter = this.#pending.shift();
      if (waiter === undefined) this.#buffered.push(line);
      else waiter(line);
    });
    child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
  }

  next(timeoutMs = 30_000): Promise<unknown> {
    const buffered = this.#buffered.shift();
    if (buffered !== undefined) return Promise.resolve(JSON.parse(buffered));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply from the helper; stderr: ${this.#stderr}`)), timeoutMs);
      const exited = () => reject(new Error(`the helper exited; stderr: ${this.#stderr}`));
      this.child.once('exit', exited);
      this.#pending.push((line) => {
        clearTimeout(timer);
        this.child.off('exit', exited);
        resolve(JSON.parse(line));
      });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}

export async function startTestRealm(): Promise<TestRealm> {
  const workdir = mkdtempSync(path.join(tmpdir(), 'winrm-desk-krb-'));
  const child = spawn(PYTHON, [path.join(SCRIPTS, 'krb_realm.py'), workdir], {
    env: { ...process.env, PYTHONPATH: path.join(REPOSITORY, 'e2e/lab') },
  });
  const lines = new JsonLines(child);
  const description = (await lines.next(60_000)) as Omit<TestRealm, 'environment' | 'close'>;
  return {
    ...description,
    environment: {
      ...process.env,
      KRB5_CONFIG: description.krb5Conf,
      KRB5_KTNAME: `FILE:${description.keytab}`,
      KRB5RCACHEDIR: description.directory,
      KRB5CCNAME: `FILE:${path.join(description.directory, 'unused-ccache')}`,
    },
    close: async () => {
      await lines.close();
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}

export interface AcceptResult {
  readonly token: string | null;
  readonly initiator: string;
  readonly delegated: string | null;
  readonly complete: boolean;
}

/** The python3-gssapi acceptor; each `accept` starts a new security context. */
export class TestAcceptor {
  private constructor(readonly lines: JsonLines) {}

  static async start(realm: TestRealm): Promise<TestAcceptor> {
    const child = spawn(PYTHON, [path.join(SCRIPTS, 'krb_acceptor.py')], { env: realm.environment });
    const lines = new JsonLines(child);
    await lines.next();
    return new TestAcceptor(lines);
  }

  async request<T>(request: Record<string, unknown>): Promise<T> {
    this.lines.child.stdin.write(JSON.stringify(request) + '\n');
    const reply = (await this.lines.next()) as T & { error?: string };
    if (reply.error !== undefined) throw new Error(`acceptor: ${reply.error}`);
    return reply;
  }

  accept(token: Uint8Array, bindings?: Uint8Array): Promise<AcceptResult> {
    return this.request({
      op: 'accept',
      token: b64(token),
      bindings: bindings && Buffer.from(bindings).toString('hex'),
    });
  }

  async unwrap(header: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    const reply = await this.request<{ plaintext: string; encrypted: boolean }>({
      op: 'unwrap',
      header: b64(header),
      data: b64(data),
    });
    if (!reply.encrypted) throw new Error('the message was not encrypted');
    return unb64(reply.plaintext);
  }

  async wrap(plaintext: Uint8Array): Promise<{ header: Uint8Array; data: Uint8Array }> {
    const reply = await this.request<{ header: string; data: string }>({ op: 'wrap', plaintext: b64(plaintext) });
    return { header: unb64(reply.header), data: unb64(reply.data) };
  }

  async verifyMic(message: Uint8Array, mic: Uint8Array): Promise<void> {
    await this.request({ op: 'verify_mic', message: b64(message), mic: b64(mic) });
  }

  async getMic(message: Uint8Array): Promise<Uint8Array> {
    return unb64((await this.request<{ mic: string }>({ op: 'get_mic', message: b64(message) })).mic);
  }

  close(): Promise<void> {
    return this.lines.close();
  }
}

/** `kinit` into a FILE cache of the realm's directory; returns the cache name. */
export async function kinit(realm: TestRealm, user: string, password: string, name: string): Promise<string> {
  const cache = `FILE:${path.join(realm.directory, name)}`;
  const child = spawn('kinit', ['-f', '-c', cache, user], { env: realm.environment });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end(password + '\n');
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`kinit failed: ${output}`);
  return cache;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
