import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/errors';
import { endPointHash, tlsServerEndPoint } from './channel-bindings';
import { issue, newKey } from '../../e2e/support/pki';

const key = newKey();

/** DER TLV with a definite length. */
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const length =
    body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first! * 40 + second!];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) groups.unshift((value & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A structurally valid Certificate whose signatureAlgorithm is `algorithm` (tbsCertificate is a stub). */
function certificateWith(algorithm: Buffer): Buffer {
  return tlv(0x30, tlv(0x30, tlv(0x02, Buffer.from([1]))), algorithm, tlv(0x03, Buffer.from([0, 1, 2])));
}

const pss = (hashOid: string | undefined) =>
  tlv(
    0x30,
    oid('1.2.840.113549.1.1.10'),
    tlv(0x30, ...(hashOid === undefined ? [] : [tlv(0xa0, tlv(0x30, oid(hashOid), tlv(0x05)))])),
  );

describe('tls-server-end-point (RFC 5929 §4.1)', () => {
  it.each([
    ['md5', 'sha256'],
    ['sha1', 'sha256'],
    ['sha256', 'sha256'],
    ['sha384', 'sha384'],
    ['sha512', 'sha512'],
  ] as const)('hashes an RSA certificate signed with %s using %s', (signatureHash, expected) => {
    const certificate = issue({ commonName: 'cbt.test', key, hash: signatureHash });
    expect(endPointHash(certificate.der)).toBe(expected);
    const bindings = Buffer.from(tlsServerEndPoint(certificate.der));
    const digest = createHash(expected).update(certificate.der).digest();
    expect(bindings.subarray(0, 21).toString('ascii')).toBe('tls-server-end-point:');
    expect(bindings.subarray(21)).toEqual(digest);
  });

  it.each([
    ['ecdsa-with-SHA1', '1.2.840.10045.4.1', 'sha256'],
    ['ecdsa-with-SHA256', '1.2.840.10045.4.3.2', 'sha256'],
    ['ecdsa-with-SHA384', '1.2.840.10045.4.3.3', 'sha384'],
    ['ecdsa-with-SHA512', '1.2.840.10045.4.3.4', 'sha512'],
    ['sha224WithRSAEncryption', '1.2.840.113549.1.1.14', 'sha224'],
    ['Ed25519 (undefined by RFC 5929: SHA-256 like pypsrp)', '1.3.101.112', 'sha256'],
    ['an unknown algorithm', '1.2.3.4.5', 'sha256'],
  ])('reads %s', (_, algorithmOid, expected) => {
    expect(endPointHash(certificateWith(tlv(0x30, oid(algorithmOid))))).toBe(expected);
  });

  it('reads the hash parameter of RSASSA-PSS, SHA-1 by default', () => {
    expect(endPointHash(certificateWith(pss('2.16.840.1.101.3.4.2.2')))).toBe('sha384');
    expect(endPointHash(certificateWith(pss('2.16.840.1.101.3.4.2.3')))).toBe('sha512');
    expect(endPointHash(certificateWith(pss('1.3.14.3.2.26')))).toBe('sha256');
    expect(endPointHash(certificateWith(pss(undefined)))).toBe('sha256');
  });

  it('refuses bytes that are not a certificate with a ProtocolError, never another error', () => {
    expect(() => endPointHash(Buffer.from('not DER'))).toThrow(ProtocolError);
    const der = issue({ commonName: 'cbt.test', key }).der;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.nat({ max: der.length - 1 }).map((cut) => der.subarray(0, cut)),
        ),
        (bytes) => {
          expect(() => endPointHash(bytes)).toThrow(ProtocolError);
        },
      ),
    );
  });
});
