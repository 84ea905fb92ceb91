import type { CertificateDetails, TrustProblemName, TrustRequest } from '../../../core/contract/trust-service';

/** How the trust dialog words certificates and the reasons they are not trusted. */

/** `AB CD EF …`: upper-case byte pairs, so two fingerprints can be compared by eye, pair by pair. */
export function groupedFingerprint(sha256: string): string {
  return (sha256.toUpperCase().match(/[0-9A-F]{2}/g) ?? []).join(' ');
}

export function trustProblemSentence(problem: TrustProblemName, hostName: string): string {
  switch (problem) {
    case 'unknown-issuer':
      return 'It was issued by a certificate authority this computer does not trust.';
    case 'self-signed':
      return 'It is self-signed: nobody but the server vouches for it.';
    case 'expired':
      return 'It has expired.';
    case 'not-yet-valid':
      return 'It is not valid yet (check this computer’s clock).';
    case 'name-mismatch':
      return `It was not issued for the name ${hostName}.`;
    case 'not-for-server-auth':
      return 'It is not meant to identify a server.';
    case 'pinned-certificate-changed':
      return `It is not the certificate you pinned for ${hostName}. The server may have been given a new certificate — or someone is intercepting the connection.`;
  }
}

/** The certificates of the chain that "trust the issuing CA" may choose: every CA, the direct issuer first. */
export function authorityCandidates(request: TrustRequest): CertificateDetails[] {
  return request.chain.filter((certificate, index) => index > 0 || certificate.isCertificateAuthority);
}

/** A date as the user's locale writes it, with the time, in their zone. */
export function formatInstant(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
