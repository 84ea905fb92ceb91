import { generateKeyPairSync, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TrustStore, UnusableCertificateError } from './trust-store';

const NOW = new Date('2025-06-07T08:09:10.000Z');

/** A certificate signed by `issuer` (self-signed without one), as PEM, with its key for signing others. */
function makeCertificate(commonName: string, isCa: boolean, issuer?: { pem: string; keyPem: string }) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  certificate.serialNumber = `01${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  certificate.validity.notBefore = new Date('2025-01-01T00:00:00Z');
  certificate.validity.notAfter = new Date('2035-01-01T00:00:00Z');
  const subject = [{ name: 'commonName', value: commonName }];
  certificate.setSubject(subject);
  certificate.setIssuer(issuer ? forge.pki.certificateFromPem(issuer.pem).subject.attributes : subject);
  certificate.setExtensions([{ name: 'basicConstraints', cA: isCa, critical: true }]);
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  certificate.sign(forge.pki.privateKeyFromPem(issuer?.keyPem ?? keyPem), forge.md.sha256.create());
  return { pem: forge.pki.certificateToPem(certificate), keyPem };
}

let root: { pem: string; keyPem: string };
let issuing: { pem: string; keyPem: string };
let leaf: { pem: string; keyPem: string };
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();

beforeAll(() => {
  root = makeCertificate('Lab Root CA', true);
  issuing = makeCertificate('Lab Issuing CA', true, root);
  leaf = makeCertificate('lab.example.test', false, issuing);
});

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'winrm-desk-trust-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function openStore(): Promise<TrustStore> {
  const opening = await TrustStore.open({ directory, now: () => NOW });
  if (opening.status !== 'ready') throw opening.error;
  return opening.store;
}

const [host, otherHost, group, otherGroup] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];

describe('TrustStore', () => {
  it('answers trustFor with the host pins and the CAs of the host and of its group, and only those', async () => {
    const store = await openStore();
    await store.pinCertificate(host, { sha256: fingerprint(leaf.pem).toUpperCase(), subject: 'CN=lab.example.test' });
    await store.pinCertificate(otherHost, { sha256: 'ab'.repeat(32), subject: 'CN=other' });
    const groupCa = await store.trustAuthority({ kind: 'group', groupId: group }, issuing.pem);
    await store.trustAuthority({ kind: 'host', hostId: host }, root.pem);
    await store.trustAuthority({ kind: 'group', groupId: otherGroup }, root.pem);

    expect(groupCa).toMatchObject({
      sha256: fingerprint(issuing.pem),
      subject: 'CN=Lab Issuing CA',
      notAfter: '2035-01-01T00:00:00.000Z',
      addedAt: NOW.toISOString(),
    });
    const trust = store.trustFor(host, group);
    expect(trust.pinnedSha256).toEqual([fingerprint(leaf.pem)]);
    expect(trust.authorities.map((authority) => authority.subject).sort()).toEqual([
      'CN=Lab Issuing CA',
      'CN=Lab Root CA',
    ]);
    expect(new X509Certificate(trust.authorities[0]!.pem).fingerprint256).toBe(
      new X509Certificate(issuing.pem).fingerprint256,
    );

    expect(store.trustFor(otherHost)).toEqual({ pinnedSha256: ['ab'.repeat(32)], authorities: [] });
    expect(store.trustFor(randomUUID(), otherGroup).authorities.map((authority) => authority.subject)).toEqual([
      'CN=Lab Root CA',
    ]);

    const reopened = await openStore();
    expect(reopened.trustFor(host, group)).toEqual(trust);
  });

  it('adds a pin beside existing ones, or replaces them when the user accepted a changed certificate', async () => {
    const store = await openStore();
    const [first, second, third] = ['11', '22', '33'].map((byte) => byte.repeat(32));
    await store.pinCertificate(host, { sha256: first!, subject: 'CN=a' });
    await store.pinCertificate(host, { sha256: second!, subject: 'CN=a' });
    await store.pinCertificate(host, { sha256: second!, subject: 'CN=a' });
    expect(store.trustFor(host).pinnedSha256).toEqual([first, second]);
    await store.pinCertificate(host, { sha256: third!, subject: 'CN=a' }, { replaceExisting: true });
    expect(store.trustFor(host).pinnedSha256).toEqual([third]);
    expect(await store.unpinCertificate(host, third!.toUpperCase())).toBe(true);
    expect(await store.unpinCertificate(host, third!)).toBe(false);
    await expect(store.pinCertificate(host, { sha256: 'not hex', subject: '' })).rejects.toThrow(
      /64 hexadecimal digits/,
    );
  });

  it('refuses what cannot be a trust anchor, with a message for the user', async () => {
    const store = await openStore();
    const scope = { kind: 'host', hostId: host } as const;
    await expect(store.trustAuthority(scope, leaf.pem)).rejects.toThrow(
      new UnusableCertificateError(
        'CN=lab.example.test is not a certification authority; pin it for the host instead.',
      ),
    );
    await expect(store.trustAuthority(scope, `${root.pem}${issuing.pem}`)).rejects.toThrow(/exactly one certificate/);
    await expect(store.trustAuthority(scope, root.keyPem)).rejects.toThrow(/exactly one certificate/);
    const garbled = root.pem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    await expect(store.trustAuthority(scope, garbled)).rejects.toThrow(UnusableCertificateError);
    expect(store.authorities).toEqual([]);
  });

  it('trusts a CA once per scope', async () => {
    const store = await openStore();
    const scope = { kind: 'group', groupId: group } as const;
    const first = await store.trustAuthority(scope, root.pem);
    expect(await store.trustAuthority(scope, root.pem)).toEqual(first);
    expect(store.authorities).toHaveLength(1);
    expect(await store.removeAuthority(scope, first.sha256)).toBe(true);
    expect(await store.removeAuthority(scope, first.sha256)).toBe(false);
  });

  it('forgets a deleted host (pins and its own CAs) and a deleted group (its CAs)', async () => {
    const store = await openStore();
    await store.pinCertificate(host, { sha256: '44'.repeat(32), subject: 'CN=x' });
    await store.trustAuthority({ kind: 'host', hostId: host }, root.pem);
    await store.trustAuthority({ kind: 'group', groupId: group }, root.pem);
    await store.trustAuthority({ kind: 'host', hostId: otherHost }, root.pem);
    expect(await store.forgetHost(host)).toBe(2);
    expect(store.trustFor(host, group).authorities.map((authority) => authority.scope)).toEqual([
      { kind: 'group', groupId: group },
    ]);
    expect(await store.forgetGroup(group)).toBe(1);
    expect(store.authorities.map((authority) => authority.scope)).toEqual([{ kind: 'host', hostId: otherHost }]);
    expect(JSON.parse(await readFile(path.join(directory, 'trust.json'), 'utf8')).authorities).toHaveLength(1);
  });

  it('handles a corrupt trust file like every store file: reported, backed up, replaced only on request', async () => {
    const trustFile = path.join(directory, 'trust.json');
    const corrupt = JSON.stringify({
      version: 1,
      pins: [{ hostId: host, sha256: 'short', subject: '', pinnedAt: NOW }],
    });
    await writeFile(trustFile, corrupt);
    const opening = await TrustStore.open({ directory, now: () => NOW });
    if (opening.status !== 'corrupt') throw new Error('expected corrupt');
    expect(opening.error.message).toMatch(
      /certificate trust file .* cannot use \(pins\.0\.sha256: A SHA-256 fingerprint/,
    );
    expect(await readFile(opening.error.backupPath, 'utf8')).toBe(corrupt);
    expect(await readFile(trustFile, 'utf8')).toBe(corrupt);
    const store = await opening.startEmpty();
    expect(store.trustFor(host)).toEqual({ pinnedSha256: [], authorities: [] });
  });
});
