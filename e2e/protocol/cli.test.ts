import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { labAdmin } from '../support/lab';

// The `winrm-desk` command-line client as a user runs it: the built bundle behind bin/winrm-desk.js, started
// as a child process against the lab (e2e/lab/README.md), with its stdout, stderr and exit status checked.

const lab = inject('lab');
const [alice] = lab.accounts;
const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repository, 'bin/winrm-desk.js');
const serverCerts = lab.server_certs as Record<'chain', { fingerprint_sha256: string }>;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const offlineKerberos = path.join(repository, 'e2e/support/krb5-offline.conf');

/**
 * Runs the CLI with alice's password in $LAB_PASSWORD and a Kerberos configuration that reaches no KDC (unless
 * `env` says otherwise). `whenStdout` sees the stdout so far at each chunk (to act mid-command); the child
 * is killed if it outlives `timeoutMs`.
 */
function winrmDesk(
  args: readonly string[],
  options: {
    whenStdout?: (stdout: string, child: ReturnType<typeof spawn>) => void;
    env?: Record<string, string>;
    /** Written to stdin, which is then closed; stdin is empty otherwise. */
    input?: string;
    timeoutMs?: number;
  } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repository,
      env: { PATH: process.env.PATH, LAB_PASSWORD: alice!.password, KRB5_CONFIG: offlineKerberos, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(options.input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.whenStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const admin = labAdmin(lab);

const user = ['--user', alice!.user, '--password-env', 'LAB_PASSWORD'];
const https = ['--url', lab.https_url, '--host-name', lab.host_name];
const trusted = [...https, '--ca-file', lab.ca_bundle];
/** Output on both streams, the identity the server gave the process, and an exit code. */
const probe = ['--', 'printf "out %s\\n" "$WINRM_LAB_USER"; printf "err\\n" 1>&2; exit 3'];
const noStackTrace = /^\s+at /m;

beforeAll(() => {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: repository, stdio: 'inherit' });
});

afterEach(async () => {
  await admin('DELETE', '/faults');
  await admin('POST', '/settings/reset');
});

describe('winrm-desk cmd', () => {
  it('runs a command with Basic over HTTPS (lab CA from --ca-file): streams, identity, exit code', async () => {
    const run = await winrmDesk(['cmd', ...trusted, '--auth', 'basic', ...user, ...probe]);
    expect(run).toEqual({ code: 3, stdout: 'out LAB\\alice\n', stderr: 'err\n' });
  });

  it('authenticates with a client certificate', async () => {
    const certificate = ['--cert', lab.client_cert as string, '--key', lab.client_key as string];
    const run = await winrmDesk(['cmd', ...trusted, ...certificate, ...probe]);
    expect(run).toEqual({ code: 3, stdout: `out ${lab.client_cert_user as string}\n`, stderr: 'err\n' });
  });

  it('uses NTLM over HTTP with message encryption (the lab refuses unencrypted messages)', async () => {
    const run = await winrmDesk(['cmd', '--url', lab.http_url, '--auth', 'ntlm', ...user, ...probe]);
    expect(run).toEqual({ code: 3, stdout: 'out LAB\\alice\n', stderr: 'err\n' });
  });

  it('uses NTLM over HTTPS with channel binding when the server demands it (CbtHardeningLevel Strict)', async () => {
    await admin('POST', '/settings', { cbt_hardening: 'Strict' });
    const run = await winrmDesk(['cmd', ...trusted, '--auth', 'ntlm', ...user, ...probe]);
    expect(run).toEqual({ code: 3, stdout: 'out LAB\\alice\n', stderr: 'err\n' });
  });

  it('uses Negotiate (SPNEGO with NTLM) over HTTP with message encryption, the default mechanism', async () => {
    const run = await winrmDesk(['cmd', '--url', lab.http_url, ...user, ...probe]);
    expect(run).toEqual({ code: 3, stdout: 'out LAB\\alice\n', stderr: 'err\n' });
  });

  it('uses CredSSP over HTTP with message encryption only with --allow-delegation', async () => {
    const credssp = ['cmd', '--url', lab.http_url, '--auth', 'credssp', ...user];
    expect(await winrmDesk([...credssp, '--allow-delegation', ...probe])).toEqual({
      code: 3,
      stdout: 'out LAB\\alice\n',
      stderr: 'err\n',
    });
    const refused = await winrmDesk([...credssp, ...probe]);
    expect(refused).toMatchObject({ code: 64, stdout: '' });
    expect(refused.stderr).toMatch(/^winrm-desk: CredSSP hands your password to the server.*--allow-delegation/);
  });

  it('uses Kerberos over HTTP with message encryption, the SPN host from --host-name', async () => {
    const kerberos = { env: { KRB5_CONFIG: lab.krb5_conf as string } };
    const upn = ['--user', (alice as unknown as { upn: string }).upn, '--password-env', 'LAB_PASSWORD'];
    const run = await winrmDesk(
      ['cmd', '--url', lab.http_url, '--host-name', lab.host_name, '--auth', 'kerberos', ...upn, ...probe],
      kerberos,
    );
    expect(run).toEqual({ code: 3, stdout: 'out LAB\\alice\n', stderr: 'err\n' });
    const byAddress = await winrmDesk(['cmd', '--url', lab.http_url, '--auth', 'kerberos', ...upn, ...probe], kerberos);
    expect(byAddress.code).toBe(77);
    expect(byAddress.stderr).toMatch(
      /knows none of the service principals tried: HTTP\/127\.0\.0\.1@LAB\.TEST.*Check the host name/,
    );
  });

  it('refuses an untrusted certificate showing how to pin it, and --pin of that fingerprint then works', async () => {
    const refused = await winrmDesk(['cmd', ...https, '--auth', 'basic', ...user, ...probe]);
    const fingerprint = serverCerts.chain.fingerprint_sha256;
    expect(refused.code).toBe(78);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`the TLS certificate of ${lab.host_name} is not trusted`);
    expect(refused.stderr).toMatch(/Subject: .*CN=win-lab\.lab\.test/);
    expect(refused.stderr).toMatch(/Issuer: .*CN=WinRM Lab Issuing CA/);
    expect(refused.stderr).toContain(`SHA-256:  ${fingerprint}`);
    expect(refused.stderr).toContain(`--pin ${fingerprint}`);
    expect(refused.stderr).toContain('--ca-file');
    expect(refused.stderr).not.toMatch(noStackTrace);

    const pinned = await winrmDesk(['cmd', ...https, '--pin', fingerprint, '--auth', 'basic', ...user, ...probe]);
    expect(pinned).toEqual({ code: 3, stdout: 'out LAB\\alice\n', stderr: 'err\n' });
  });

  it('reports a wrong password in one sentence naming the user and the mechanism', async () => {
    const run = await winrmDesk(
      ['cmd', '--url', lab.http_url, '--auth', 'ntlm', '--user', alice!.user, '--password-env', 'PATH', ...probe],
      {},
    );
    expect(run.code).toBe(77);
    // One sentence (one line), then whatever reason the server gave in its 401 body.
    expect(run.stderr).toMatch(
      /^winrm-desk: the server rejected the credentials of LAB\\alice using NTLM: check the user name, its domain and the password\.( The server said: [^\n]*)?\n$/,
    );
  });

  it('says plainly that the server requires encryption when --encryption never meets AllowUnencrypted=false', async () => {
    const run = await winrmDesk(['cmd', '--url', lab.http_url, '--encryption', 'never', ...user, ...probe]);
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/^winrm-desk: .*requires message encryption.*use encryption 'auto' or 'always'/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(noStackTrace);
  });

  it('completes with no output lost or duplicated when the connection drops during a Receive', async () => {
    // Receive long polls end after 1 s, so the response the lab cuts is an empty one, which is safe to ask again.
    await admin('POST', '/settings', { max_timeout_ms: 1000 });
    let armed: Promise<unknown> | undefined;
    const run = await winrmDesk(
      [
        'cmd',
        '--url',
        lab.http_url,
        '--auth',
        'ntlm',
        ...user,
        '--',
        'printf "before\\n"; sleep 3; printf "after\\n"; exit 5',
      ],
      {
        whenStdout: (stdout) =>
          void (stdout.includes('before') && (armed ??= admin('POST', '/faults', { kind: 'drop' }))),
      },
    );
    await armed;
    expect(run).toEqual({ code: 5, stdout: 'before\nafter\n', stderr: '' });
    expect(await admin('GET', '/faults')).toEqual([]); // the drop happened
  });

  it('sends Ctrl+C to the remote process beside the pending Receive', async () => {
    const started = Date.now();
    const run = await winrmDesk(
      ['cmd', '--url', lab.http_url, '--auth', 'ntlm', ...user, '--', 'printf "ready\\n"; sleep 30; printf "late\\n"'],
      { whenStdout: (stdout, child) => void (stdout === 'ready\n' && child.kill('SIGINT')) },
    );
    expect(run).toEqual({ code: 130, stdout: 'ready\n', stderr: '' }); // sh reports 128 + SIGINT
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('explains wrong usage without touching the network', async () => {
    const noPassword = await winrmDesk(['cmd', '--url', lab.http_url, '--user', 'x', '--password', 'p', '--', 'x']);
    expect(noPassword.code).toBe(64);
    expect(noPassword.stderr).toMatch(/there is no --password option.*--password-env VARIABLE or --password-stdin/);
    const unknown = await winrmDesk(['cmd', '--url', lab.http_url, '--auth', 'digest', ...user, '--', 'x']);
    expect(unknown).toEqual({
      code: 64,
      stdout: '',
      stderr: 'winrm-desk: --auth must be one of basic, certificate, ntlm, negotiate, kerberos, credssp, not digest.\n',
    });
  });
});

describe('winrm-desk exec', () => {
  const exec = (...args: string[]) => winrmDesk(['exec', '--url', lab.http_url, ...user, ...args]);

  it('prints Get-Date as PowerShell does and numbers one per line, as the authenticated user', async () => {
    const run = await exec('--', 'Get-Date; 1..3; $env:WINRM_LAB_USER');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^\w+day, \w+ \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M\n1\n2\n3\nLAB\\alice\n$/);
  });

  it('exits 1 with the error on stderr when a command fails or the pipeline throws', async () => {
    expect(await exec('--', 'Get-Item /nonexistent')).toEqual({
      code: 1,
      stdout: '',
      stderr: "Get-Item: Cannot find path '/nonexistent' because it does not exist.\n",
    });
    const thrown = await exec('--', '"before"; throw "it broke"; "after"');
    expect(thrown).toEqual({ code: 1, stdout: 'before\n', stderr: 'it broke\n' });
  });

  it('writes the other streams to stderr with their prefixes, Write-Host with the output', async () => {
    const run = await exec('--', 'Write-Warning w; Write-Verbose v -Verbose; Write-Host h; Write-Error e; "out"');
    expect(run).toEqual({ code: 1, stdout: 'h\nout\n', stderr: 'WARNING: w\nVERBOSE: v\nWrite-Error: e\n' });
  });

  it('formats uniform objects as a table, wide ones as lists, and --json writes one object per line', async () => {
    const objects = '[pscustomobject]@{A=1;B="x"}; [pscustomobject]@{A=22;B="yy"}';
    const wide = '[pscustomobject]@{One=1;Two=2;Three=3;Four=4;Five="five"}';
    expect(await exec('--', `${objects}; ${wide}`)).toEqual({
      code: 0,
      stdout: '\n A B\n - -\n 1 x\n22 yy\n\nOne   : 1\nTwo   : 2\nThree : 3\nFour  : 4\nFive  : five\n\n',
      stderr: '',
    });
    const json = await exec('--json', '--', `${objects}; "text"; @(1, 2)`);
    expect(json).toEqual({ code: 0, stdout: '{"A":1,"B":"x"}\n{"A":22,"B":"yy"}\n"text"\n1\n2\n', stderr: '' });
  });

  it('uses a restricted (JEA) configuration: its commands work, anything else is refused by the server', async () => {
    const restricted = (...args: string[]) => exec('--configuration', 'Lab.Restricted', '--', ...args);
    const date = await restricted('Get-Date');
    expect(date.code).toBe(0);
    expect(date.stdout).toMatch(/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M\n$/);
    const hidden = await restricted('Get-ChildItem', '/');
    expect(hidden).toMatchObject({ code: 1, stdout: '' });
    expect(hidden.stderr).toMatch(/^The term 'Get-ChildItem' is not recognized/);
    const script = await restricted('1+1');
    expect(script).toMatchObject({ code: 1, stdout: '' });
    expect(script.stderr).toMatch(/The syntax is not supported by this runspace/);
  });
});

describe('winrm-desk shell', () => {
  it('runs lines from stdin with the server formatting the output, answers Read-Host, and ends at exit', async () => {
    const input = [
      '1..2',
      '[pscustomobject]@{A=1;B=2}',
      '$n = Read-Host "Name"',
      'bob',
      '"hello $n"',
      'Get-Item /nope',
      'exit',
      '"not run"',
    ];
    const run = await winrmDesk(['shell', '--url', lab.http_url, ...user], { input: `${input.join('\n')}\n` });
    expect(run).toEqual({
      code: 0,
      stdout: '1\n2\n\nA B\n- -\n1 2\n\nhello bob\n',
      stderr: "Get-Item: Cannot find path '/nope' because it does not exist.\n",
    });
  });
});
