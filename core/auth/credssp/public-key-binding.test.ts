import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { issue, newKey } from '../../../e2e/support/pki';
import { Asn1Error } from '../asn1/der';
import { fromHex, hex } from '../ntlm/test-support/bytes';
import { CredSspBindingError } from './errors';
import { clientBindingValue, serverBindingValue, subjectPublicKey, verifyServerBinding } from './public-key-binding';

// PROTOCOL.md §5.4: pyspnego test_credssp.py::test_pub_key_auth (public key 0001, nonce 0000).
const KEY = fromHex('0001');
const NONCE = fromHex('0000');
const CLIENT_HASH = '4590c26c837dacdf3da8fae578264d9e45486afc3951f21ef357064cd55fbbb5';
const SERVER_HASH = 'cdf4ffee6cb6395e5b692c2da397386f6a1eab2d3a6271816a04c7a2914d333f';

describe('pubKeyAuth binding values', () => {
  it('hashes with the nonce from version 5 on (the published vectors)', () => {
    for (const version of [5, 6]) {
      expect(hex(clientBindingValue(version, KEY, NONCE))).toBe(CLIENT_HASH);
      expect(hex(serverBindingValue(version, KEY, NONCE))).toBe(SERVER_HASH);
    }
  });

  it('uses the key itself before version 5, and the key with its first byte plus one from the server', () => {
    for (const version of [2, 3, 4]) {
      expect(hex(clientBindingValue(version, KEY, undefined))).toBe('0001');
      expect(hex(serverBindingValue(version, KEY, undefined))).toBe('0101');
    }
    expect(hex(serverBindingValue(2, fromHex('ff10'), undefined))).toBe('0010');
  });

  it('verifies the server value and refuses anything else as a possible machine in the middle', () => {
    expect(() => verifyServerBinding(6, KEY, NONCE, fromHex(SERVER_HASH))).not.toThrow();
    expect(() => verifyServerBinding(2, KEY, undefined, fromHex('0101'))).not.toThrow();
    expect(() => verifyServerBinding(6, KEY, NONCE, fromHex(CLIENT_HASH))).toThrow(CredSspBindingError);
    expect(() => verifyServerBinding(2, KEY, undefined, fromHex('0001'))).toThrow(/machine in the middle/);
    expect(() => verifyServerBinding(2, KEY, undefined, fromHex('010100'))).toThrow(CredSspBindingError);
  });
});

describe('subjectPublicKey', () => {
  it('is the PKCS#1 RSAPublicKey of an RSA certificate, not the SubjectPublicKeyInfo', () => {
    const certificate = issue({ commonName: 'win-lab.lab.test', key: newKey() });
    const pkcs1 = certificate.x509.publicKey.export({ type: 'pkcs1', format: 'der' });
    const spki = certificate.x509.publicKey.export({ type: 'spki', format: 'der' });
    const key = subjectPublicKey(certificate.der);
    expect(Buffer.from(key).equals(pkcs1)).toBe(true);
    expect(key.length).toBeLessThan(spki.length);
  });

  it('is the uncompressed point of an EC certificate', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // node-forge cannot sign with EC keys: a certificate-shaped structure around the EC SPKI is all the parse needs.
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const asn1 = forge.asn1;
    const tbs = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, '\x02'),
      ]),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, '\x01'),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, []),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, []),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, []),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, []),
      asn1.fromDer(spki.toString('binary')),
    ]);
    const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      tbs,
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, []),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00'),
    ]);
    const der = Buffer.from(asn1.toDer(certificate).getBytes(), 'binary');
    const point = subjectPublicKey(der);
    expect(point.length).toBe(65);
    expect(point[0]).toBe(0x04);
    const jwk = privateKey.export({ format: 'jwk' });
    expect(Buffer.from(point.subarray(1, 33)).toString('base64url')).toBe(jwk.x);
  });

  it('refuses what is not a certificate with an Asn1Error', () => {
    expect(() => subjectPublicKey(fromHex('3000'))).toThrow(Asn1Error);
    expect(() => subjectPublicKey(fromHex('0401ff'))).toThrow(Asn1Error);
  });
});
