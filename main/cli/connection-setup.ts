import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { selectMechanism, type AuthSelection } from '../session/auth-selection';
import type { SessionConnectionOptions } from '../session/session-options';
import {
  StaticTrustStore,
  StoreTrustPolicy,
  loadPemClientCertificate,
  loadPfxClientCertificate,
  normalizeFingerprint,
  parsePemCertificates,
  type ClientCertificate,
} from '../transport';
import { CliUsageError, type ConnectionArguments } from './arguments';

/** Where the CLI gets secrets and files: the process in production, fakes in tests. */
export interface SecretSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** All of stdin (for --password-stdin). */
  readonly readStdin: () => Promise<string>;
  /** Asks on the terminal without echo; undefined when there is no terminal to ask on. */
  readonly promptSecret: ((prompt: string) => Promise<string>) | undefined;
}

/**
 * The session's connection settings from the command line: the mechanism with its credentials, and TLS
 * trust from `--ca-file` and `--pin` on top of the system roots. The CLI never asks about an untrusted
 * certificate: it fails with the certificate's details and the options that would trust it.
 */
export async function connectionFromArguments(
  args: ConnectionArguments,
  secrets: SecretSources,
): Promise<SessionConnectionOptions> {
  const url = parseUrl(args.url);
  const hostName = args.hostName ?? url.hostname.replace(/^\[(.*)\]$/, '$1');
  const mechanism = await selectMechanism(await authSelection(args, secrets), { hostName });
  const tls =
    url.protocol === 'https:'
      ? {
          trust: new StoreTrustPolicy(
            new StaticTrustStore({
              caBundle: args.caFile === undefined ? [] : await readCaBundle(args.caFile),
              pins: { [hostName]: args.pins.map(pinOption) },
            }),
            { interactive: false },
          ),
        }
      : undefined;
  if (tls === undefined && (args.caFile !== undefined || args.pins.length > 0)) {
    throw new CliUsageError('--ca-file and --pin are for https:// URLs');
  }
  return {
    transport: {
      endpoint: args.url,
      hostName: args.hostName,
      mechanism,
      encryption: args.encryption,
      tls,
      userAgent: 'WinRM-Desk CLI',
    },
    maxEnvelopeSize: args.envelopeSize,
  };
}

async function authSelection(args: ConnectionArguments, secrets: SecretSources): Promise<AuthSelection> {
  if (args.auth === 'certificate') {
    return { method: 'certificate', certificate: await clientCertificate(args, secrets) };
  }
  if (args.auth === 'kerberos') {
    // Without a password option Kerberos uses the credential cache (kinit): nothing is asked.
    const password = args.password === undefined ? undefined : await readPassword(args, secrets, '');
    return { method: 'kerberos', userName: args.user, password };
  }
  const userName = args.user as string;
  const password = await readPassword(args, secrets, `Password for ${userName}: `);
  if (args.auth === 'credssp')
    return { method: 'credssp', userName, password, delegationConsent: args.allowDelegation };
  return { method: args.auth, userName, password };
}

async function readPassword(args: ConnectionArguments, secrets: SecretSources, prompt: string): Promise<string> {
  const source = args.password;
  if (source?.kind === 'env') {
    const value = secrets.env[source.variable];
    if (value === undefined) {
      throw new CliUsageError(`the environment variable ${source.variable} named by --password-env is not set`);
    }
    return value;
  }
  if (source?.kind === 'stdin') return (await secrets.readStdin()).replace(/\r?\n$/, '');
  if (secrets.promptSecret === undefined) {
    throw new CliUsageError('no password given: use --password-env VARIABLE or --password-stdin');
  }
  return secrets.promptSecret(prompt);
}

/** PEM certificate with `--key`, or a .pfx/.p12 file (its passphrase from the password options, if any). */
async function clientCertificate(args: ConnectionArguments, secrets: SecretSources): Promise<ClientCertificate> {
  const certificateFile = args.certificateFile as string;
  const certificate = await readInput(certificateFile, '--cert');
  if (/\.(pfx|p12)$/i.test(certificateFile)) {
    const passphrase = args.password === undefined ? '' : await readPassword(args, secrets, '');
    return loadPfxClientCertificate(certificate, passphrase);
  }
  if (args.keyFile === undefined) throw new CliUsageError('a PEM --cert needs its private key: --key FILE');
  const privateKey = await readInput(args.keyFile, '--key');
  const passphrase = args.password === undefined ? undefined : await readPassword(args, secrets, '');
  return loadPemClientCertificate({ certificate, privateKey, passphrase });
}

async function readCaBundle(file: string) {
  const pem = await readInput(file, '--ca-file');
  try {
    return parsePemCertificates(pem);
  } catch {
    throw new CliUsageError(`--ca-file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
}

async function readInput(file: string, option: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message;
    throw new CliUsageError(`${option} ${path.resolve(file)} cannot be read: ${reason}`);
  }
}

function pinOption(text: string): string {
  try {
    return normalizeFingerprint(text);
  } catch {
    throw new CliUsageError(`--pin ${text} is not a SHA-256 fingerprint (64 hexadecimal digits, colons allowed)`);
  }
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new CliUsageError(`--url ${JSON.stringify(text)} is not a URL such as https://server:5986/wsman`);
  }
}
