import { Buffer } from 'node:buffer';
import { X509Certificate } from 'node:crypto';
import { ProtocolError, UsageError } from '../../core/errors';

/** What a trust dialog shows of one certificate (DESIGN.md §1 step 2). */
export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  /** `DNS:host`, `IP Address:1.2.3.4`, ... as X.509 lists them. */
  readonly subjectAltNames: readonly string[];
  readonly validFrom: Date;
  readonly validTo: Date;
  /** Lower-case hex of SHA-256 over the DER, no separators (the form pins are stored in). */
  readonly fingerprintSha256: string;
  readonly serialNumber: string;
  readonly isCertificateAuthority: boolean;
  /** The certificate itself, so "trust the issuing CA" can store it. */
  readonly pem: string;
}

export function sha256Fingerprint(certificate: X509Certificate): string {
  return certificate.fingerprint256.replaceAll(':', '').toLowerCase();
}

/** Accepts `AB:CD:…`, `ab cd …` or plain hex; returns the stored form, or throws a UsageError. */
export function normalizeFingerprint(text: string): string {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new UsageError(`${JSON.stringify(text)} is not a SHA-256 fingerprint (64 hexadecimal digits)`);
  }
  return hex;
}

/** Every certificate of a PEM bundle (an AD CS export, a chain file), in order; throws on anything else. */
export function parsePemCertificates(pem: string | Uint8Array): X509Certificate[] {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('latin1');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new UsageError('the PEM text holds no certificate');
  return blocks.map((block) => new X509Certificate(block));
}

export function summarizeCertificate(certificate: X509Certificate): CertificateSummary {
  return {
    subject: certificate.subject.replaceAll('\n', ', '),
    issuer: certificate.issuer.replaceAll('\n', ', '),
    subjectAltNames: splitAltNames(certificate.subjectAltName),
    validFrom: validity(certificate).from,
    validTo: validity(certificate).to,
    fingerprintSha256: sha256Fingerprint(certificate),
    serialNumber: certificate.serialNumber,
    isCertificateAuthority: certificate.ca,
    pem: certificate.toString(),
  };
}

/** Node reports validity as OpenSSL's text (`Nov 27 20:23:42 2006 GMT`), which Date parses. */
export function validity(certificate: X509Certificate): { from: Date; to: Date } {
  const from = new Date(certificate.validFrom);
  const to = new Date(certificate.validTo);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    throw new ProtocolError(`unreadable certificate validity ${certificate.validFrom} – ${certificate.validTo}`);
  }
  return { from, to };
}

/** Splits Node's `DNS:a, DNS:b, IP Address:1.2.3.4` (values with commas are quoted JSON strings). */
function splitAltNames(list: string | undefined): string[] {
  if (list === undefined) return [];
  const names: string[] = [];
  for (const match of list.matchAll(/([^,:"]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g)) {
    const value = match[2]!.startsWith('"') ? (JSON.parse(match[2]!) as string) : match[2]!;
    names.push(`${match[1]!.trim()}:${value}`);
  }
  return names;
}
