import { describe, expect, it } from 'vitest';
import type { TrustRequest } from '../../../core/contract/trust-service';
import { TRUST_PROBLEMS } from '../../../core/contract/trust-service';
import { authorityCandidates, groupedFingerprint, trustProblemSentence } from './certificate-text';

const certificate = (subject: string, isCertificateAuthority: boolean) => ({
  subject,
  issuer: 'CN=issuer',
  subjectAltNames: [],
  validFrom: '2025-01-01T00:00:00Z',
  validTo: '2026-01-01T00:00:00Z',
  sha256: 'ab'.repeat(32),
  serialNumber: '01',
  isCertificateAuthority,
  pem: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----',
});

const request = (chain: TrustRequest['chain']): TrustRequest => ({
  requestId: '00000000-0000-4000-8000-000000000001',
  hostId: '00000000-0000-4000-8000-000000000002',
  hostName: 'web01',
  problems: ['unknown-issuer'],
  chain,
  pinnedFingerprints: [],
});

describe('groupedFingerprint', () => {
  it('writes 32 upper-case byte pairs separated by spaces', () => {
    const hex = '0123456789abcdef'.repeat(4);
    const grouped = groupedFingerprint(hex);
    expect(grouped.split(' ')).toHaveLength(32);
    expect(grouped.startsWith('01 23 45 67 89 AB CD EF 01')).toBe(true);
    expect(grouped.replaceAll(' ', '').toLowerCase()).toBe(hex);
  });
});

describe('trustProblemSentence', () => {
  it('has a distinct sentence for every problem, naming the host where it matters', () => {
    const sentences = TRUST_PROBLEMS.map((problem) => trustProblemSentence(problem, 'web01.corp'));
    expect(new Set(sentences).size).toBe(TRUST_PROBLEMS.length);
    expect(trustProblemSentence('name-mismatch', 'web01.corp')).toContain('web01.corp');
  });
});

describe('authorityCandidates', () => {
  it('offers the issuers of the chain, and the leaf only when it is a CA itself', () => {
    const leaf = certificate('CN=leaf', false);
    const issuing = certificate('CN=issuing', true);
    const root = certificate('CN=root', true);
    expect(authorityCandidates(request([leaf, issuing, root])).map((c) => c.subject)).toEqual([
      'CN=issuing',
      'CN=root',
    ]);
    expect(authorityCandidates(request([leaf]))).toEqual([]);
    expect(authorityCandidates(request([certificate('CN=self', true)])).map((c) => c.subject)).toEqual(['CN=self']);
  });
});
