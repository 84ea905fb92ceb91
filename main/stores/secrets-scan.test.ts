import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import type { HostProfileDraftInput } from '../../core/contract/host-profile';
import { KeyringCredentialStore } from './credential-store';
import { HostProfileStore } from './host-profile-store';
import { TrustStore } from './trust-store';

// DESIGN.md §7: secrets live in the keychain, never in a file of the data directory. This drives the
// stores as the app does, through WINRM_DESK_DATA_DIR, then searches every file there for the secret in
// the encodings a leak would take. Needs the D-Bus session with gnome-keyring that `npm test` provides.

/** The files under `directory` whose bytes contain `secret` as UTF-8, JSON-escaped, UTF-16LE, base64 or hex. */
async function filesContaining(directory: string, secret: string): Promise<string[]> {
  const needles = [
    Buffer.from(secret, 'utf8'),
    Buffer.from(JSON.stringify(secret).slice(1, -1), 'utf8'),
    Buffer.from(secret, 'utf16le'),
    Buffer.from(Buffer.from(secret, 'utf8').toString('base64'), 'latin1'),
    Buffer.from(Buffer.from(secret, 'utf8').toString('hex'), 'latin1'),
  ];
  const hits: string[] = [];
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const bytes = await readFile(file);
    if (needles.some((needle) => bytes.includes(needle))) hits.push(file);
  }
  return hits;
}

let dataDirectory: string;
const savedDataDirectory = process.env['WINRM_DESK_DATA_DIR'];

beforeEach(async () => {
  dataDirectory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-secrets-'));
  process.env['WINRM_DESK_DATA_DIR'] = dataDirectory;
});

afterEach(async () => {
  if (savedDataDirectory === undefined) delete process.env['WINRM_DESK_DATA_DIR'];
  else process.env['WINRM_DESK_DATA_DIR'] = savedDataDirectory;
  await rm(dataDirectory, { recursive: true, force: true });
});

describe('secrets scan of the data directory', () => {
  it('finds a planted secret in every encoding it searches (the scan itself works)', async () => {
    const secret = `planted-"${randomBytes(8).toString('hex')}\\`;
    await writeFile(path.join(dataDirectory, 'utf16.txt'), Buffer.from(`x${secret}x`, 'utf16le'));
    await writeFile(path.join(dataDirectory, 'b64.txt'), Buffer.from(secret).toString('base64'));
    await writeFile(path.join(dataDirectory, 'escaped.json'), JSON.stringify({ leaked: secret }));
    await writeFile(path.join(dataDirectory, 'clean.txt'), 'nothing here');
    expect((await filesContaining(dataDirectory, secret)).map((file) => path.basename(file)).sort()).toEqual([
      'b64.txt',
      'escaped.json',
      'utf16.txt',
    ]);
  });

  it('holds no secret after saving profiles, storing the password in the keychain and using the host', async () => {
    if (!process.env['DBUS_SESSION_BUS_ADDRESS']) throw new Error('run inside dbus-run-session with gnome-keyring');
    const secret = `Pw-${randomBytes(12).toString('base64url')}-ü"\\`;
    const credentials = new KeyringCredentialStore(`winrm-desk-test-${randomUUID()}`);

    const hostsOpening = await HostProfileStore.open();
    const trustOpening = await TrustStore.open();
    if (hostsOpening.status !== 'ready' || trustOpening.status !== 'ready') throw new Error('stores did not open');
    const [hosts, trust] = [hostsOpening.store, trustOpening.store];
    expect(hosts.filePath).toBe(path.join(dataDirectory, 'hosts.json'));

    const group = await hosts.addGroup('Lab');
    const host = await hosts.add({ name: 'lab', address: 'lab.example.test', user: 'LAB\\alice', groupId: group.id });
    const key = { hostId: host.id, user: host.user };
    await credentials.set(key, secret);
    try {
      // A caller that tries to put the password into the profile is refused, and the refusal does not echo it.
      const smuggled = { name: 'lab', address: 'lab', password: secret } as HostProfileDraftInput;
      const refusal = await hosts.update(host.id, smuggled).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ZodError);
      expect((refusal as ZodError).issues.map((issue) => issue.message)).toEqual([
        expect.stringMatching(/^Unknown setting "password"/),
      ]);
      expect(`${String(refusal)} ${JSON.stringify(refusal)}`).not.toContain(secret);

      await trust.pinCertificate(host.id, { sha256: 'cd'.repeat(32), subject: 'CN=lab.example.test' });
      await hosts.markUsed(host.id);
      await hosts.duplicate(host.id);
      await writeFile(path.join(dataDirectory, 'export.json'), hosts.exportProfiles());
      await Promise.all([hosts.flushed(), trust.flushed()]);

      expect(await credentials.get(key)).toBe(secret);
      expect((await readdir(dataDirectory)).sort()).toEqual(['export.json', 'hosts.json', 'trust.json']);
      expect(await filesContaining(dataDirectory, secret)).toEqual([]);
      expect((await filesContaining(dataDirectory, 'lab.example.test')).length).toBe(3); // the scan reads all three files
    } finally {
      await credentials.forgetHost(host.id);
    }
  });
});
