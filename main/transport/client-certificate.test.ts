import { Buffer } from 'node:buffer';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { sha256Fingerprint } from './certificates';
import { ClientCertificateError, loadPemClientCertificate, loadPfxClientCertificate } from './client-certificate';
import { issue, newKey } from '../../e2e/support/pki';

const caKey = newKey();
const ca = issue({ commonName: 'Client CA', key: caKey, ca: true });
const key = newKey();
const client = issue({ commonName: 'alice', key, issuer: ca, extendedKeyUsage: ['clientAuth'] });
const otherKey = newKey();

function pfx(password: string, algorithm: '3des' | 'aes256', chain = [client.cert, ca.cert]): Uint8Array {
  const asn1 = forge.pkcs12.toPkcs12Asn1(key.forgePrivate, chain, password, { algorithm });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

function expectLoaded(loaded: ReturnType<typeof loadPemClientCertificate>) {
  expect(loaded.fingerprintSha256).toBe(sha256Fingerprint(client.x509));
  expect(loaded.subject).toBe('O=WinRM Desk tests, CN=alice');
  const [leaf, chain] = loaded.tlsOptions.cert.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
  expect(new X509Certificate(leaf!).fingerprint256).toBe(client.x509.fingerprint256);
  expect(new X509Certificate(chain!).fingerprint256).toBe(ca.x509.fingerprint256);
  expect(loaded.tlsOptions.key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  expect(client.x509.checkPrivateKey(createPrivateKey(loaded.tlsOptions.key))).toBe(true);
}

describe('loadPemClientCertificate', () => {
  it('loads a certificate with its chain and a plain PKCS#8 key', () => {
    expectLoaded(loadPemClientCertificate({ certificate: client.pem + ca.pem, privateKey: key.pem }));
  });

  it('decrypts an encrypted PKCS#8 key, and says when the passphrase is missing or wrong', () => {
    const encrypted = createPrivateKey(key.pem).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'correct horse',
    });
    const certificate = client.pem + ca.pem;
    expectLoaded(loadPemClientCertificate({ certificate, privateKey: encrypted, passphrase: 'correct horse' }));
    expect(() => loadPemClientCertificate({ certificate, privateKey: encrypted })).toThrow(/passphrase is needed/);
    expect(() => loadPemClientCertificate({ certificate, privateKey: encrypted, passphrase: 'wrong' })).toThrow(
      /passphrase is wrong/,
    );
  });

  it('reads a PKCS#1 key too, and refuses a key of another certificate or no certificate', () => {
    const pkcs1 = createPrivateKey(key.pem).export({ type: 'pkcs1', format: 'pem' });
    expectLoaded(loadPemClientCertificate({ certificate: client.pem + ca.pem, privateKey: pkcs1 }));
    expect(() => loadPemClientCertificate({ certificate: client.pem, privateKey: otherKey.pem })).toThrow(
      /does not belong to the client certificate/,
    );
    expect(() => loadPemClientCertificate({ certificate: 'nothing', privateKey: key.pem })).toThrow(
      ClientCertificateError,
    );
  });
});

describe('loadPfxClientCertificate', () => {
  it('loads a legacy 3DES .pfx (OpenSSL 3 needs its legacy provider for these) and an AES-256 one', () => {
    expectLoaded(loadPfxClientCertificate(pfx('secret', '3des'), 'secret'));
    expectLoaded(loadPfxClientCertificate(pfx('secret', 'aes256'), 'secret'));
  });

  it('says when the passphrase is wrong or the file is not PKCS#12, and when the key has no certificate', () => {
    expect(() => loadPfxClientCertificate(pfx('secret', '3des'), 'wrong')).toThrow(/passphrase is wrong/);
    expect(() => loadPfxClientCertificate(Buffer.from('not a pfx'), 'x')).toThrow(/cannot be read/);
    expect(() => loadPfxClientCertificate(pfx('secret', '3des', [ca.cert]), 'secret')).toThrow(
      /does not belong to the client certificate/,
    );
  });
});
