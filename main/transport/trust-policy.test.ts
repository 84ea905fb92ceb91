import type { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors';
import { normalizeFingerprint, parsePemCertificates, sha256Fingerprint } from './certificates';
import { verifyServerChain } from './chain-verification';
import { createTestPki, issue, newKey } from '../../e2e/support/pki';
import { StaticTrustStore, StoreTrustPolicy, describeTrustRequest, type TrustDecision } from './trust-policy';

const HOST = 'win-lab.lab.test';
const pki = createTestPki(HOST);
const now = new Date();
const fingerprint = (certificate: { x509: X509Certificate }) => sha256Fingerprint(certificate.x509);

function evaluate(
  presented: { x509: X509Certificate }[],
  store: StaticTrustStore,
  options: { hostName?: string; interactive?: boolean; systemRoots?: boolean } = {},
): TrustDecision {
  return new StoreTrustPolicy(store, { interactive: options.interactive, systemRoots: options.systemRoots }).evaluate({
    hostName: options.hostName ?? HOST,
    certificates: presented.map((certificate) => certificate.x509),
    now,
  });
}

const withBundle = new StaticTrustStore({ caBundle: [pki.root.x509, pki.issuing.x509] });
const rootOnly = new StaticTrustStore({ caBundle: [pki.root.x509] });

describe('StoreTrustPolicy', () => {
  it('accepts a chain that reaches a CA of the bundle, for the host, its IP SAN and a differing host-name override', () => {
    expect(evaluate([pki.leaf, pki.issuing], rootOnly)).toEqual({ kind: 'accept', basis: 'chain' });
    expect(evaluate([pki.leaf, pki.issuing], rootOnly, { hostName: '127.0.0.1' })).toEqual({
      kind: 'accept',
      basis: 'chain',
    });
    expect(evaluate([pki.leaf, pki.issuing], rootOnly, { hostName: 'LOCALHOST' }).kind).toBe('accept');
  });

  it('builds the path whatever the order of the presented certificates, ignoring extras', () => {
    const stranger = issue({ commonName: 'Unrelated CA', key: pki.caKey, ca: true });
    expect(evaluate([pki.leaf, stranger, pki.issuing], rootOnly).kind).toBe('accept');
  });

  it('asks about an unknown issuer, with the chain, SANs, validity and fingerprints a dialog shows', () => {
    const decision = evaluate([pki.leaf, pki.issuing], new StaticTrustStore());
    expect(decision.kind).toBe('ask');
    if (decision.kind !== 'ask') return;
    const { request } = decision;
    expect(request.problems).toEqual(['unknown-issuer']);
    expect(request.hostName).toBe(HOST);
    expect(request.chain.map((certificate) => certificate.subject)).toEqual([
      `O=WinRM Desk tests, CN=${HOST}`,
      'O=WinRM Desk tests, CN=Test Issuing CA',
    ]);
    const leaf = request.chain[0]!;
    expect(leaf.issuer).toBe('O=WinRM Desk tests, CN=Test Issuing CA');
    expect(leaf.subjectAltNames).toEqual([`DNS:${HOST}`, 'DNS:localhost', 'IP Address:127.0.0.1']);
    expect(leaf.fingerprintSha256).toBe(fingerprint(pki.leaf));
    expect(leaf.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Math.abs(leaf.validTo.getTime() - pki.leaf.cert.validity.notAfter.getTime())).toBeLessThan(1000);
    expect(leaf.isCertificateAuthority).toBe(false);
    expect(request.chain[1]!.isCertificateAuthority).toBe(true);
    expect(parsePemCertificates(request.chain[1]!.pem)[0]!.fingerprint256).toBe(pki.issuing.x509.fingerprint256);
    expect(request.pinnedFingerprints).toEqual([]);
    expect(describeTrustRequest(request)).toMatch(
      /not trusted: it is issued by a CA that is not trusted.*SHA-256 [0-9a-f]{64}/,
    );
  });

  it.each([
    ['self-signed', () => [pki.selfSigned], ['self-signed']],
    ['expired', () => [pki.expired, pki.issuing], ['expired']],
    ['issued for another name', () => [pki.leaf, pki.issuing], ['name-mismatch'], 'other.lab.test'],
    ['for client authentication only', () => [pki.clientOnly, pki.issuing], ['not-for-server-auth']],
  ] as const)('asks about a certificate that is %s, naming the reason', (_, presented, problems, hostName?: string) => {
    const decision = evaluate([...presented()], withBundle, { hostName });
    expect(decision.kind).toBe('ask');
    expect(decision.kind === 'ask' && decision.request.problems).toEqual(problems);
  });

  it('reports every problem at once, and a certificate not valid yet', () => {
    const future = issue({
      commonName: 'elsewhere',
      key: pki.leafKey,
      notBefore: new Date(Date.now() + 86_400_000),
      notAfter: new Date(Date.now() + 2 * 86_400_000),
    });
    const decision = evaluate([future], new StaticTrustStore());
    expect(decision.kind === 'ask' && decision.request.problems).toEqual([
      'self-signed',
      'not-yet-valid',
      'name-mismatch',
    ]);
  });

  it('accepts a SHA-384 signed chain like any other', () => {
    expect(evaluate([pki.sha384, pki.issuing], rootOnly).kind).toBe('accept');
  });

  it('accepts a chain anchored at a trusted intermediate ("trust the issuing CA") for that host only', () => {
    const store = new StaticTrustStore({ hostCas: { 'WIN-LAB.lab.test': [pki.issuing.x509] } });
    expect(evaluate([pki.leaf], store).kind).toBe('accept');
    expect(evaluate([pki.leaf], store, { hostName: 'localhost' }).kind).toBe('ask');
  });

  it('accepts a pinned certificate whatever its chain, and warns loudly when a pinned host presents another', () => {
    const pinned = new StaticTrustStore({
      caBundle: [pki.root.x509],
      pins: { [HOST]: [pki.selfSigned.x509.fingerprint256] }, // colon form, normalized
    });
    expect(evaluate([pki.selfSigned], pinned)).toEqual({ kind: 'accept', basis: 'pin' });
    const changed = evaluate([pki.leaf, pki.issuing], pinned);
    expect(changed.kind).toBe('ask');
    if (changed.kind !== 'ask') return;
    // Even a CA-valid certificate is not accepted silently in place of the pinned one.
    expect(changed.request.problems).toEqual(['pinned-certificate-changed']);
    expect(changed.request.pinnedFingerprints).toEqual([fingerprint(pki.selfSigned)]);
    expect(describeTrustRequest(changed.request)).toMatch(/NOT THE CERTIFICATE PINNED/);
    const expiredToo = evaluate([pki.expired, pki.issuing], pinned);
    expect(expiredToo.kind === 'ask' && expiredToo.request.problems).toEqual(['pinned-certificate-changed', 'expired']);
  });

  it('rejects instead of asking when not interactive, with the same details', () => {
    const decision = evaluate([pki.selfSigned], new StaticTrustStore(), { interactive: false });
    expect(decision.kind).toBe('reject');
    expect(decision.kind === 'reject' && decision.request.chain[0]!.fingerprintSha256).toBe(
      fingerprint(pki.selfSigned),
    );
  });

  it('does not trust the lab CA through the system roots, and can ignore the system roots', () => {
    expect(evaluate([pki.leaf, pki.issuing, pki.root], new StaticTrustStore()).kind).toBe('ask');
    expect(evaluate([pki.leaf, pki.issuing], rootOnly, { systemRoots: false }).kind).toBe('accept');
  });
});

describe('verifyServerChain', () => {
  it('refuses an issuer that is not a CA and a signature by the wrong key', () => {
    const notCa = issue({ commonName: 'Not a CA', key: pki.caKey, issuer: pki.root, ca: false });
    const leaf = issue({ commonName: HOST, key: pki.leafKey, issuer: notCa, dnsNames: [HOST] });
    const viaNotCa = verifyServerChain({
      presented: [leaf.x509, notCa.x509],
      anchors: [pki.root.x509],
      hostName: HOST,
      now,
    });
    expect(viaNotCa.problems).toEqual(['unknown-issuer']);
    expect(viaNotCa.path).toHaveLength(1);

    // Same issuer name, different key: the name matches, the signature does not.
    const impostor = issue({ commonName: 'Test Issuing CA', key: newKey(), issuer: pki.root, ca: true });
    const forged = issue({ commonName: HOST, key: pki.leafKey, issuer: impostor, dnsNames: [HOST] });
    const result = verifyServerChain({
      presented: [forged.x509, pki.issuing.x509],
      anchors: [pki.root.x509],
      hostName: HOST,
      now,
    });
    expect(result.anchored).toBe(false);
    expect(result.problems).toEqual(['unknown-issuer']);
  });

  it('returns the path leaf → issuing CA → anchor', () => {
    const result = verifyServerChain({
      presented: [pki.leaf.x509, pki.issuing.x509],
      anchors: [pki.root.x509],
      hostName: HOST,
      now,
    });
    expect(result.anchored).toBe(true);
    expect(result.path.map((certificate) => certificate.subject.split('CN=')[1])).toEqual([
      HOST,
      'Test Issuing CA',
      'Test Root CA',
    ]);
  });
});

describe('normalizeFingerprint', () => {
  it('accepts colon and spaced forms and refuses anything that is not 32 bytes of hex', () => {
    const hex = fingerprint(pki.leaf);
    expect(normalizeFingerprint(pki.leaf.x509.fingerprint256)).toBe(hex);
    expect(normalizeFingerprint(hex.toUpperCase().replace(/(..)/g, '$1 '))).toBe(hex);
    expect(() => normalizeFingerprint(hex.slice(2))).toThrow(UsageError);
    expect(() => normalizeFingerprint(pki.leaf.x509.fingerprint)).toThrow(UsageError);
  });
});
