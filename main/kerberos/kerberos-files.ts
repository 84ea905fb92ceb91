import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseCredentialCache, type CredentialCache } from '../../core/auth/kerberos/ccache';
import { mergeKrb5Conf, parseKrb5Conf, type Krb5Conf } from '../../core/auth/kerberos/krb5-conf';
import { UsageError } from '../../core/errors';

/**
 * The Kerberos files an MIT user already has: krb5.conf (`KRB5_CONFIG`, else the platform default) and
 * the FILE credential cache `kinit` writes (`KRB5CCNAME`, else `/tmp/krb5cc_<uid>`). Read-only.
 */

type Environment = Readonly<Record<string, string | undefined>>;

const MAX_INCLUDE_DEPTH = 4;
/** MIT reads from an includedir only files named like this. */
const INCLUDED_FILE = /^([A-Za-z0-9_-]+|.*\.conf)$/;

export function krb5ConfigPaths(env: Environment, platform: NodeJS.Platform = process.platform): string[] {
  const configured = env['KRB5_CONFIG'];
  if (configured) return configured.split(platform === 'win32' ? ';' : ':').filter((entry) => entry !== '');
  switch (platform) {
    case 'win32':
      return [path.win32.join(env['ProgramData'] ?? 'C:\\ProgramData', 'MIT', 'Kerberos5', 'krb5.ini')];
    case 'darwin':
      return ['/etc/krb5.conf', '/Library/Preferences/edu.mit.Kerberos'];
    default:
      return ['/etc/krb5.conf'];
  }
}

const isMissing = (error: unknown): boolean =>
  error instanceof Error && ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

async function readConfigFile(file: string, depth: number): Promise<Krb5Conf[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const config = parseKrb5Conf(text);
  if (depth >= MAX_INCLUDE_DEPTH) return [config];
  const included: Krb5Conf[] = [];
  for (const include of config.includes) {
    if (include.kind === 'include') {
      included.push(...(await readConfigFile(include.path, depth + 1)));
      continue;
    }
    const names = await fs
      .readdir(include.path)
      .catch((error: unknown) => (isMissing(error) ? [] : Promise.reject(error)));
    for (const name of names.filter((entry) => INCLUDED_FILE.test(entry)).sort()) {
      included.push(...(await readConfigFile(path.join(include.path, name), depth + 1)));
    }
  }
  return [config, ...included];
}

/** The merged configuration of every existing file among `paths` (and their includes); undefined if none exists. */
export async function readKrb5Config(paths: readonly string[]): Promise<Krb5Conf | undefined> {
  const configs: Krb5Conf[] = [];
  for (const file of paths) configs.push(...(await readConfigFile(file, 0)));
  return configs.length === 0 ? undefined : mergeKrb5Conf(configs);
}

/** What names the credential cache: an explicit value, else KRB5CCNAME, else MIT's default. */
export function credentialCacheName(
  explicit: string | undefined,
  env: Environment,
  /** process.getuid?.(): undefined on Windows, which has no default FILE cache. */
  uid: number | undefined,
): string | undefined {
  return explicit ?? env['KRB5CCNAME'] ?? (uid === undefined ? undefined : `FILE:/tmp/krb5cc_${uid}`);
}

/** The file a cache name denotes: `FILE:path`, a bare path, `DIR::path`, or `DIR:dir` (its primary cache). */
export async function credentialCacheFile(name: string): Promise<string> {
  // Two letters at least, so that a Windows path (C:\\...) stays a path.
  const typed = /^([A-Za-z]{2,}):(.*)$/.exec(name);
  if (typed === null) return name;
  const type = typed[1]!.toUpperCase();
  const rest = typed[2]!;
  if (type === 'FILE') return rest;
  if (type === 'DIR') {
    if (rest.startsWith(':')) return rest.slice(1);
    const primary = (await fs.readFile(path.join(rest, 'primary'), 'utf8').catch(() => 'tkt')).trim();
    return path.join(rest, primary);
  }
  throw new UsageError(
    `credential cache ${name}: only FILE: and DIR: caches can be read (not ${type}:); ` +
      `point KRB5CCNAME at a file, e.g. KRB5CCNAME=FILE:/tmp/krb5cc_$(id -u), and run kinit again`,
  );
}

/** Reads and parses the cache; undefined when the file does not exist. */
export async function readCredentialCache(file: string): Promise<CredentialCache | undefined> {
  try {
    return parseCredentialCache(new Uint8Array(await fs.readFile(file)));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}
