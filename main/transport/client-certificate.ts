import { Buffer } from 'node:buffer';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { parsePemCertificates, sha256Fingerprint, validity } from './certificates';

/**
 * The TLS client certificate of WinRM certificate authentication (PROTOCOL.md §7), loaded from what users
 * have: a PEM certificate (optionally followed by its chain) with a PEM key — PKCS#8, encrypted PKCS#8,
 * PKCS#1 or SEC1 — or a PKCS#12 (.pfx) file. PKCS#12 goes through node-forge because Windows exports often
 * use RC2/3DES, which OpenSSL 3 (and so Node) reads only with its legacy provider; forge does the
 * decryption and MAC check, node:crypto parses the certificates and keys, so any key type works.
 * The key is kept in memory decrypted, as OpenSSL would hold it; it never reaches a file.
 */
export interface ClientCertificate {
  readonly subject: string;
  readonly fingerprintSha256: string;
  readonly validTo: Date;
  /** The `cert` (leaf then chain) and `key` of tls.connect. */
  readonly tlsOptions: { readonly cert: string; readonly key: string };
}

/** The certificate or key cannot be read, the passphrase is wrong, or the key is not the certificate's. */
export class ClientCertificateError extends Error {
  override readonly name = 'ClientCertificateError';
}

export interface PemClientCertificateInput {
  readonly certificate: string | Uint8Array;
  readonly privateKey: string | Uint8Array;
  /** For an encrypted key. */
  readonly passphrase?: string;
}

export function loadPemClientCertificate(input: PemClientCertificateInput): ClientCertificate {
  let certificates: X509Certificate[];
  try {
    certificates = parsePemCertificates(input.certificate);
  } catch (error) {
    throw new ClientCertificateError('the client certificate file holds no readable PEM certificate', { cause: error });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(input.privateKey), format: 'pem', passphrase: input.passphrase });
  } catch (error) {
    throw new ClientCertificateError(keyErrorMessage(error, input.passphrase !== undefined), { cause: error });
  }
  return assemble(certificates, [key]);
}

export function loadPfxClientCertificate(pfx: Uint8Array, passphrase = ''): ClientCertificate {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(pfx).toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ClientCertificateError(
      /MAC could not be verified|Invalid password/i.test(message)
        ? 'the .pfx passphrase is wrong'
        : `the .pfx file cannot be read: ${message}`,
      { cause: error },
    );
  }
  const bags = (type: string) => p12.getBags({ bagType: type })[type] ?? [];
  const certificates = bags(forge.pki.oids.certBag!).map((bag) => {
    const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
    return new X509Certificate(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
  });
  const keys = [...bags(forge.pki.oids.pkcs8ShroudedKeyBag!), ...bags(forge.pki.oids.keyBag!)].map((bag) => {
    // forge decodes RSA keys itself and hands back the PrivateKeyInfo of any other type.
    const info = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
    return createPrivateKey({
      key: Buffer.from(forge.asn1.toDer(info).getBytes(), 'binary'),
      format: 'der',
      type: 'pkcs8',
    });
  });
  return assemble(certificates, keys);
}

/** Pairs the key with its certificate; the other certificates become the chain sent after it. */
function assemble(certificates: readonly X509Certificate[], keys: readonly KeyObject[]): ClientCertificate {
  for (const key of keys) {
    const leaf = certificates.find((certificate) => certificate.checkPrivateKey(key));
    if (leaf === undefined) continue;
    const chain = certificates.filter((certificate) => certificate !== leaf);
    return {
      subject: leaf.subject.replaceAll('\n', ', '),
      fingerprintSha256: sha256Fingerprint(leaf),
      validTo: validity(leaf).to,
      tlsOptions: {
        cert: [leaf, ...chain].map((certificate) => certificate.toString()).join(''),
        key: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    };
  }
  throw new ClientCertificateError(
    keys.length === 0 ? 'no private key was found' : 'the private key does not belong to the client certificate',
  );
}

function keyErrorMessage(error: unknown, passphraseGiven: boolean): string {
  const code = (error as { code?: unknown }).code;
  // OpenSSL reports a missing passphrase as an interrupted prompt.
  if (!passphraseGiven && (code === 'ERR_MISSING_PASSPHRASE' || code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED')) {
    return 'the private key is encrypted: a passphrase is needed';
  }
  const message = error instanceof Error ? error.message : String(error);
  if (passphraseGiven && code === 'ERR_OSSL_BAD_DECRYPT') return 'the private key passphrase is wrong';
  return `the private key cannot be read: ${message}`;
}
