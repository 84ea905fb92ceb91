import { Buffer } from 'node:buffer';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

/** Certificates made in the test with node-forge (RSA keys from node:crypto, which is fast). */
export interface TestKey {
  readonly forgePrivate: forge.pki.rsa.PrivateKey;
  readonly forgePublic: forge.pki.rsa.PublicKey;
  /** PKCS#8 PEM. */
  readonly pem: string;
}

export interface TestCertificate {
  readonly cert: forge.pki.Certificate;
  readonly key: TestKey;
  readonly pem: string;
  readonly der: Buffer;
  readonly x509: X509Certificate;
}

export function newKey(): TestKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgePrivate = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { forgePrivate, forgePublic: forge.pki.setRsaPublicKey(forgePrivate.n, forgePrivate.e), pem };
}

export interface IssueOptions {
  readonly commonName: string;
  readonly key: TestKey;
  /** Self-signed when absent. */
  readonly issuer?: TestCertificate;
  readonly ca?: boolean;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly hash?: 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';
  readonly extendedKeyUsage?: readonly ('serverAuth' | 'clientAuth')[];
}

const DAY = 86_400_000;

export function issue(options: IssueOptions): TestCertificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = options.key.forgePublic;
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 365 * DAY);
  const subject = [
    { name: 'organizationName', value: 'WinRM Desk tests' },
    { name: 'commonName', value: options.commonName },
  ];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer?.cert.subject.attributes ?? subject);
  const extensions: object[] = [{ name: 'basicConstraints', cA: options.ca === true, critical: true }];
  if (options.ca === true) extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true });
  else extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
  if (options.extendedKeyUsage !== undefined) {
    extensions.push(
      Object.fromEntries([['name', 'extKeyUsage'], ...options.extendedKeyUsage.map((usage) => [usage, true])]),
    );
  }
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  const signer = options.issuer?.key ?? options.key;
  cert.sign(signer.forgePrivate, forge.md[options.hash ?? 'sha256'].create());
  const pem = forge.pki.certificateToPem(cert);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { cert, key: options.key, pem, der, x509: new X509Certificate(der) };
}

/** A lab-like PKI for `hostName`: root → issuing CA → leaf, plus flawed leaves sharing the leaf key. */
export function createTestPki(hostName: string) {
  const caKey = newKey();
  const leafKey = newKey();
  const root = issue({ commonName: 'Test Root CA', key: caKey, ca: true, notAfter: new Date(Date.now() + 3650 * DAY) });
  const issuing = issue({ commonName: 'Test Issuing CA', key: caKey, issuer: root, ca: true });
  const server = {
    commonName: hostName,
    key: leafKey,
    dnsNames: [hostName, 'localhost'],
    ipAddresses: ['127.0.0.1'],
    extendedKeyUsage: ['serverAuth'] as const,
  };
  return {
    caKey,
    leafKey,
    root,
    issuing,
    leaf: issue({ ...server, issuer: issuing }),
    selfSigned: issue(server),
    expired: issue({
      ...server,
      issuer: issuing,
      notBefore: new Date(Date.now() - 60 * DAY),
      notAfter: new Date(Date.now() - DAY),
    }),
    sha384: issue({ ...server, issuer: issuing, hash: 'sha384' }),
    clientOnly: issue({ ...server, issuer: issuing, extendedKeyUsage: ['clientAuth'] }),
  };
}
