import { describe, expect, it } from 'vitest';
import { pemCertificateSchema, sha256FingerprintSchema, trustScopeSchema } from './trust';

const HEX = 'ab'.repeat(32);

describe('trust contract', () => {
  it('normalizes SHA-256 fingerprints to lower-case hex without separators', () => {
    expect(sha256FingerprintSchema.parse(HEX.toUpperCase().match(/../g)!.join(':'))).toBe(HEX);
    expect(sha256FingerprintSchema.parse(` ${HEX.match(/.{8}/g)!.join(' ')} `)).toBe(HEX);
    expect(sha256FingerprintSchema.safeParse(HEX.slice(2)).error?.issues[0]?.message).toBe(
      'A SHA-256 fingerprint is 64 hexadecimal digits.',
    );
    expect(sha256FingerprintSchema.safeParse(`${HEX.slice(2)}zz`).success).toBe(false);
  });

  it('takes exactly one PEM certificate', () => {
    const block = '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----';
    expect(pemCertificateSchema.parse(`\n${block}\n`)).toBe(block);
    expect(pemCertificateSchema.safeParse(`${block}\n${block}`).success).toBe(false);
    expect(pemCertificateSchema.safeParse(block.replaceAll('CERTIFICATE', 'PRIVATE KEY')).success).toBe(false);
  });

  it('scopes trust to one host or one group', () => {
    const id = '7d8f3a52-1c1e-4b1a-9d55-3b0f4f1b2a10';
    expect(trustScopeSchema.parse({ kind: 'group', groupId: id })).toEqual({ kind: 'group', groupId: id });
    expect(trustScopeSchema.safeParse({ kind: 'everywhere' }).success).toBe(false);
    expect(trustScopeSchema.safeParse({ kind: 'host', hostId: id, groupId: id }).success).toBe(false);
  });
});
