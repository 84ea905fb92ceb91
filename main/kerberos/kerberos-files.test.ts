import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors';
import {
  credentialCacheFile,
  credentialCacheName,
  krb5ConfigPaths,
  readCredentialCache,
  readKrb5Config,
} from './kerberos-files';

const directory = mkdtempSync(path.join(tmpdir(), 'winrm-desk-krbfiles-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('Kerberos files', () => {
  it('takes krb5.conf paths from KRB5_CONFIG, else the platform default', () => {
    expect(krb5ConfigPaths({ KRB5_CONFIG: '/a.conf:/b.conf' }, 'linux')).toEqual(['/a.conf', '/b.conf']);
    expect(krb5ConfigPaths({}, 'linux')).toEqual(['/etc/krb5.conf']);
    expect(krb5ConfigPaths({ ProgramData: 'D:\\Data' }, 'win32')).toEqual(['D:\\Data\\MIT\\Kerberos5\\krb5.ini']);
  });

  it('reads existing files and their includes, first value winning', async () => {
    mkdirSync(path.join(directory, 'conf.d'));
    writeFileSync(path.join(directory, 'conf.d', 'realm.conf'), '[realms]\n EXTRA.TEST = {\n  kdc = extra:88\n }\n');
    writeFileSync(path.join(directory, 'conf.d', 'ignored~'), '[libdefaults]\n default_realm = WRONG\n');
    writeFileSync(
      path.join(directory, 'main.conf'),
      `includedir ${path.join(directory, 'conf.d')}\n[libdefaults]\n default_realm = MAIN.TEST\n`,
    );
    writeFileSync(path.join(directory, 'second.conf'), '[libdefaults]\n default_realm = SECOND.TEST\n');
    const config = await readKrb5Config([
      path.join(directory, 'missing.conf'),
      path.join(directory, 'main.conf'),
      path.join(directory, 'second.conf'),
    ]);
    expect(config?.defaultRealm).toBe('MAIN.TEST');
    expect(config?.realms.get('EXTRA.TEST')?.kdcs).toEqual(['extra:88']);
    expect(await readKrb5Config([path.join(directory, 'missing.conf')])).toBeUndefined();
  });

  it('names the credential cache from the option, KRB5CCNAME or /tmp/krb5cc_<uid>', () => {
    expect(credentialCacheName('FILE:/x', { KRB5CCNAME: 'FILE:/y' }, 1000)).toBe('FILE:/x');
    expect(credentialCacheName(undefined, { KRB5CCNAME: 'FILE:/y' }, 1000)).toBe('FILE:/y');
    expect(credentialCacheName(undefined, {}, 1000)).toBe('FILE:/tmp/krb5cc_1000');
    expect(credentialCacheName(undefined, {}, undefined)).toBeUndefined();
  });

  it('resolves FILE:, bare paths, Windows paths and DIR: caches, and refuses other types', async () => {
    expect(await credentialCacheFile('FILE:/tmp/cc')).toBe('/tmp/cc');
    expect(await credentialCacheFile('/tmp/cc')).toBe('/tmp/cc');
    expect(await credentialCacheFile('C:\\Users\\a\\krb5cc')).toBe('C:\\Users\\a\\krb5cc');
    expect(await credentialCacheFile('DIR::/run/cc/tktA')).toBe('/run/cc/tktA');
    writeFileSync(path.join(directory, 'primary'), 'tktB\n');
    expect(await credentialCacheFile(`DIR:${directory}`)).toBe(path.join(directory, 'tktB'));
    await expect(credentialCacheFile('KEYRING:persistent:1000')).rejects.toThrow(UsageError);
  });

  it('reads no cache where there is none', async () => {
    expect(await readCredentialCache(path.join(directory, 'no-such-cache'))).toBeUndefined();
  });
});
