import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { sha256Fingerprint, validity } from './certificates';

/**
 * Our own verification of a server's certificate chain, so that trust is decided by our policy rather than
 * by a global switch (DESIGN.md §7). It builds a path from the leaf through the certificates the server
 * presented to a trust anchor, checking each link with `checkIssued` (names and key identifiers) and
 * `verify` (the signature), and reports every problem found rather than the first, because a trust dialog
 * should say everything that is wrong.
 *
 * Anchors may be intermediate CAs: trusting an AD CS issuing CA for one host is a deliberate, scoped choice,
 * so the path may end there (OpenSSL, by contrast, insists on a self-signed root unless told otherwise).
 * Not checked, as they are not exposed by node:crypto: pathLenConstraint, name constraints, certificate
 * policies, a CA's keyUsage, revocation. Intermediates must carry basicConstraints CA:TRUE.
 */

export type TrustProblem =
  /** The path ends at a certificate no anchor issued. */
  | 'unknown-issuer'
  /** The leaf is its own issuer and not trusted. */
  | 'self-signed'
  | 'expired'
  | 'not-yet-valid'
  /** Neither the SANs nor (without DNS SANs) the subject CN name the host. */
  | 'name-mismatch'
  /** Its extended key usage excludes TLS server authentication. */
  | 'not-for-server-auth'
  /** The host has pinned certificates and this is none of them. */
  | 'pinned-certificate-changed';

export interface ChainVerification {
  /** Leaf first, then each issuer found; ends with the anchor when `anchored`. */
  readonly path: readonly X509Certificate[];
  readonly anchored: boolean;
  /** Empty when the certificate is good for this host. */
  readonly problems: readonly TrustProblem[];
}

export interface ChainInput {
  /** What the server presented, leaf first; the rest in any order, extras ignored. */
  readonly presented: readonly X509Certificate[];
  readonly anchors: readonly X509Certificate[];
  /** The name the certificate must be for (the `--host-name` override when set), or an IP literal. */
  readonly hostName: string;
  readonly now: Date;
}

const MAX_PATH_LENGTH = 10;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

export function verifyServerChain(input: ChainInput): ChainVerification {
  const [leaf] = input.presented;
  if (leaf === undefined) throw new RangeError('verifyServerChain needs at least the leaf certificate');
  const anchorFingerprints = new Set(input.anchors.map(sha256Fingerprint));
  const used = new Set([sha256Fingerprint(leaf)]);
  const path = [leaf];
  let anchored = false;
  for (let current = leaf; path.length <= MAX_PATH_LENGTH;) {
    if (anchorFingerprints.has(sha256Fingerprint(current))) {
      anchored = true;
      break;
    }
    const anchor = input.anchors.find((candidate) => issuedBy(current, candidate));
    if (anchor !== undefined) {
      path.push(anchor);
      anchored = true;
      break;
    }
    if (selfSigned(current)) break; // an untrusted root: nothing above it
    const issuer = input.presented.find(
      (candidate) => candidate.ca && !used.has(sha256Fingerprint(candidate)) && issuedBy(current, candidate),
    );
    if (issuer === undefined) break;
    used.add(sha256Fingerprint(issuer));
    path.push(issuer);
    current = issuer;
  }

  const problems: TrustProblem[] = [];
  if (!anchored) problems.push(path.length === 1 && selfSigned(leaf) ? 'self-signed' : 'unknown-issuer');
  const now = input.now.getTime();
  if (path.some((certificate) => validity(certificate).to.getTime() < now)) problems.push('expired');
  if (path.some((certificate) => validity(certificate).from.getTime() > now)) problems.push('not-yet-valid');
  if (!namesHost(leaf, input.hostName)) problems.push('name-mismatch');
  const usages = leaf.keyUsage; // node:crypto's name for the extended key usage OIDs
  if (usages !== undefined && !usages.includes(SERVER_AUTH) && !usages.includes(ANY_EXTENDED_KEY_USAGE)) {
    problems.push('not-for-server-auth');
  }
  return { path, anchored, problems };
}

function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
  } catch {
    return false; // a key type OpenSSL cannot verify with: not an issuer we can accept
  }
}

/** Its own issuer, by name and signature (checkIssued would also demand keyCertSign, which leaves lack). */
function selfSigned(certificate: X509Certificate): boolean {
  try {
    return certificate.subject === certificate.issuer && certificate.verify(certificate.publicKey);
  } catch {
    return false;
  }
}

function namesHost(leaf: X509Certificate, hostName: string): boolean {
  const bare = hostName.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) !== 0) return leaf.checkIP(bare) !== undefined;
  // RFC 6125: a wildcard only as the whole left-most label; the subject CN only when there are no DNS SANs.
  return leaf.checkHost(bare, { partialWildcards: false, multiLabelWildcards: false }) !== undefined;
}
