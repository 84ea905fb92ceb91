import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Fingerprint } from '../transport';
import { issue, newKey } from '../../e2e/support/pki';
import { parseInvocation, type ConnectionArguments } from './arguments';
import { connectionFromArguments, type SecretSources } from './connection-setup';

const directory = mkdtempSync(path.join(tmpdir(), 'winrm-desk-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function args(...argv: string[]): ConnectionArguments {
  const invocation = parseInvocation(['cmd', ...argv, '--', 'x']);
  if (invocation.kind !== 'cmd') throw new Error('expected cmd');
  return invocation.connection;
}

function secrets(overrides: Partial<SecretSources> = {}): SecretSources & { asked: string[] } {
  const asked: string[] = [];
  return {
    env: { PW: 'from-env' },
    readStdin: async () => 'from-stdin\n',
    promptSecret: async (prompt) => {
      asked.push(prompt);
      return 'typed';
    },
    asked,
    ...overrides,
  };
}

const user = ['--user', 'LAB\\alice'];
const key = newKey();
const ca = issue({ commonName: 'Test CA', key, ca: true });
const client = issue({ commonName: 'alice', key, issuer: ca, extendedKeyUsage: ['clientAuth'] });
const server = issue({
  commonName: 'win.lab.test',
  key,
  issuer: ca,
  dnsNames: ['win.lab.test'],
  extendedKeyUsage: ['serverAuth'],
});
const stranger = issue({ commonName: 'elsewhere', key, dnsNames: ['elsewhere'], extendedKeyUsage: ['serverAuth'] });

describe('connectionFromArguments', () => {
  it('reads the password from the named variable, stdin (one newline stripped) or the terminal prompt', async () => {
    const basic = async (...extra: string[]) =>
      connectionFromArguments(args('--url', 'https://h/wsman', '--auth', 'basic', ...user, ...extra), secrets());
    // Basic sends `user:password`: its first token shows which password was read.
    const token = async (...extra: string[]) => {
      const { transport } = await basic(...extra);
      const step = await transport.mechanism
        .newContext({ channelBindings: undefined, targetHostName: 'h' })
        .step(undefined);
      return Buffer.from(step.token!).toString();
    };
    expect(await token('--password-env', 'PW')).toBe('LAB\\alice:from-env');
    expect(await token('--password-stdin')).toBe('LAB\\alice:from-stdin');
    const prompted = secrets();
    await connectionFromArguments(args('--url', 'https://h/wsman', '--auth', 'ntlm', ...user), prompted);
    expect(prompted.asked).toEqual(['Password for LAB\\alice: ']);
  });

  it('says what to do when no password can be had', async () => {
    await expect(
      connectionFromArguments(args('--url', 'http://h', ...user), secrets({ promptSecret: undefined })),
    ).rejects.toThrow('no password given: use --password-env VARIABLE or --password-stdin');
    await expect(
      connectionFromArguments(args('--url', 'http://h', ...user, '--password-env', 'NOPE'), secrets()),
    ).rejects.toThrow('the environment variable NOPE named by --password-env is not set');
  });

  it('trusts --ca-file and --pin for the host name (the --host-name override when given), over HTTPS only', async () => {
    const caFile = path.join(directory, 'ca.pem');
    writeFileSync(caFile, ca.pem);
    const trustFrom = async (...trust: string[]) => {
      const base = [
        '--url',
        'https://10.0.0.5:5986/wsman',
        '--host-name',
        'win.lab.test',
        ...user,
        '--password-env',
        'PW',
      ];
      const options = await connectionFromArguments(args(...base, ...trust), secrets());
      expect(options.transport).toMatchObject({ endpoint: 'https://10.0.0.5:5986/wsman', hostName: 'win.lab.test' });
      return (certificate: typeof server, hostName = 'win.lab.test') =>
        options.transport.tls!.trust.evaluate({ hostName, certificates: [certificate.x509], now: new Date() }).kind;
    };
    const byCa = await trustFrom('--ca-file', caFile);
    expect(byCa(server)).toBe('accept');
    expect(byCa(server, 'other.lab.test')).toBe('reject'); // never 'ask': the CLI fails instead
    const pin = sha256Fingerprint(stranger.x509)
      .toUpperCase()
      .replace(/(..)(?!$)/g, '$1:');
    const byPin = await trustFrom('--pin', pin);
    expect(byPin(stranger)).toBe('accept'); // pinned, whatever its name and issuer
    expect(byPin(server)).toBe('reject'); // anything else is refused
    await expect(
      connectionFromArguments(
        args('--url', 'http://h', ...user, '--password-env', 'PW', '--pin', 'ab'.repeat(32)),
        secrets(),
      ),
    ).rejects.toThrow('--ca-file and --pin are for https:// URLs');
    await expect(
      connectionFromArguments(args('--url', 'https://h', ...user, '--password-env', 'PW', '--pin', 'xyz'), secrets()),
    ).rejects.toThrow('--pin xyz is not a SHA-256 fingerprint');
    await expect(
      connectionFromArguments(
        args('--url', 'https://h', ...user, '--password-env', 'PW', '--ca-file', path.join(directory, 'none.pem')),
        secrets(),
      ),
    ).rejects.toThrow(/--ca-file .*none\.pem cannot be read: does not exist/);
  });

  it('loads a PEM client certificate and key for certificate authentication', async () => {
    const certFile = path.join(directory, 'client.pem');
    const keyFile = path.join(directory, 'client.key');
    writeFileSync(certFile, client.pem);
    writeFileSync(keyFile, client.key.pem);
    const options = await connectionFromArguments(
      args('--url', 'https://h/wsman', '--cert', certFile, '--key', keyFile),
      secrets(),
    );
    expect(options.transport.mechanism).toMatchObject({ name: 'Certificate' });
    expect(options.transport.mechanism.clientCertificate?.fingerprintSha256).toBe(sha256Fingerprint(client.x509));
    await expect(
      connectionFromArguments(args('--url', 'https://h/wsman', '--cert', certFile), secrets()),
    ).rejects.toThrow('a PEM --cert needs its private key: --key FILE');
  });
});
