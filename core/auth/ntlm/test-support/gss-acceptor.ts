/**
 * Test-only driver of gss_acceptor.py: a gss-ntlmssp acceptor (raw NTLM or SPNEGO) in a
 * /usr/bin/python3 subprocess, spoken to in JSON lines. Each instance gets its own users file in a
 * temporary directory, removed by close().
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./gss_acceptor.py', import.meta.url));

export interface AcceptResult {
  readonly status: 'continue' | 'complete';
  readonly token: Uint8Array | undefined;
  readonly initiator: string | undefined;
}

export interface GssAcceptor {
  accept(token: Uint8Array): Promise<AcceptResult>;
  /** gss_wrap with confidentiality: NTLM gives signature(16) ‖ sealed data. */
  wrap(plaintext: Uint8Array): Promise<Uint8Array>;
  unwrap(message: Uint8Array): Promise<{ readonly plaintext: Uint8Array; readonly sealed: boolean }>;
  close(): Promise<void>;
}

export interface GssAcceptorOptions {
  readonly mech: 'ntlm' | 'spnego';
  readonly host: string;
  /** gss-ntlmssp users file lines: `DOMAIN:user:password`. */
  readonly users: readonly string[];
  /** RFC 5929 application data the acceptor requires as channel bindings. */
  readonly bindings?: Uint8Array;
}

/** Thrown for an acceptor's {"error": …} reply: GSSAPI refused (bad credentials, bindings, signature…). */
export class GssAcceptorError extends Error {
  override readonly name = 'GssAcceptorError';
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const bytes = (text: string | null | undefined): Uint8Array | undefined =>
  text === null || text === undefined ? undefined : Uint8Array.from(Buffer.from(text, 'base64'));

export async function startGssAcceptor(options: GssAcceptorOptions): Promise<GssAcceptor> {
  const directory = mkdtempSync(join(tmpdir(), 'ntlm-acceptor-'));
  const usersFile = join(directory, 'users');
  writeFileSync(usersFile, options.users.map((line) => `${line}\n`).join(''), { mode: 0o600 });
  const args = [SCRIPT, '--mech', options.mech, '--host', options.host];
  if (options.bindings !== undefined) args.push('--bindings', Buffer.from(options.bindings).toString('hex'));
  const child: ChildProcessWithoutNullStreams = spawn('/usr/bin/python3', args, {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NTLM_USER_FILE: usersFile,
      NETBIOS_DOMAIN_NAME: 'LAB',
      NETBIOS_COMPUTER_NAME: options.host.split('.')[0]!.toUpperCase(),
      // No Kerberos here: SPNEGO must fall to NTLM without reading the machine's krb5 setup.
      KRB5_CONFIG: '/dev/null',
      KRB5_KTNAME: join(directory, 'no-keytab'),
    },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const nextReply = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) throw new Error(`gss_acceptor.py exited: ${stderr.trim()}`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  const call = async (request: Record<string, string>): Promise<Record<string, unknown>> => {
    child.stdin.write(`${JSON.stringify(request)}\n`);
    const reply = await nextReply();
    if (typeof reply.error === 'string') throw new GssAcceptorError(reply.error);
    return reply;
  };

  await nextReply(); // {"ready": true}
  return {
    async accept(token) {
      const reply = await call({ op: 'accept', token: b64(token) });
      return {
        status: reply.status as AcceptResult['status'],
        token: bytes(reply.token as string | null),
        initiator: (reply.initiator as string | null) ?? undefined,
      };
    },
    async wrap(plaintext) {
      return bytes((await call({ op: 'wrap', plaintext: b64(plaintext) })).message as string)!;
    },
    async unwrap(message) {
      const reply = await call({ op: 'unwrap', message: b64(message) });
      return { plaintext: bytes(reply.plaintext as string)!, sealed: reply.sealed === true };
    },
    async close() {
      child.stdin.end();
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
