import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { verifyServerChain, type TrustProblem } from './chain-verification';
import { normalizeFingerprint, sha256Fingerprint, summarizeCertificate, type CertificateSummary } from './certificates';

/**
 * TLS trust decided by our code (DESIGN.md §7): for each presented chain the policy answers accept, reject,
 * or ask — and "ask" carries everything a trust dialog shows. A pin is an explicit trust of one exact
 * certificate for one host, so it is accepted whatever its chain, validity or names; a host that has pins
 * and presents another certificate is never accepted silently, even when a CA would vouch for it.
 */

export interface PresentedChain {
  /** The name certificates are checked against (the `--host-name` override when given). */
  readonly hostName: string;
  /** Leaf first, as the server sent them. */
  readonly certificates: readonly X509Certificate[];
  readonly now: Date;
}

export interface TrustRequest {
  readonly hostName: string;
  /** Never empty. */
  readonly problems: readonly TrustProblem[];
  /** Leaf first, then each issuer found (the anchor last when there is one). */
  readonly chain: readonly CertificateSummary[];
  /** The host's pins, when the presented certificate is not one of them. */
  readonly pinnedFingerprints: readonly string[];
}

export type TrustDecision =
  | { readonly kind: 'accept'; readonly basis: 'chain' | 'pin' }
  | { readonly kind: 'ask'; readonly request: TrustRequest }
  | { readonly kind: 'reject'; readonly request: TrustRequest };

export interface TrustPolicy {
  evaluate(chain: PresentedChain): TrustDecision;
}

/** The user's answer to a trust request. Storing a pin or a CA is the answerer's job; the transport proceeds. */
export type TrustAnswer =
  | { readonly kind: 'accept-once' }
  | { readonly kind: 'pin' }
  /** Trust a CA (from the chain or a PEM file) for this host or its group; it must issue the chain. */
  | { readonly kind: 'trust-ca'; readonly certificate: X509Certificate }
  | { readonly kind: 'reject' };

/** The user's trust decisions as the policy reads them, at each connection (the trust store implements it). */
export interface TrustStoreView {
  /** CAs trusted for connections to this host: the custom bundle (AD CS) and the host's and its group's CAs. */
  trustedCas(hostName: string): readonly X509Certificate[];
  /** SHA-256 fingerprints, lower-case hex, of the leaf certificates pinned for this host. */
  pinnedFingerprints(hostName: string): readonly string[];
}

/** A fixed TrustStoreView, for the CLI's `--ca-file`/`--pin` and for tests. Host names compare case-insensitively. */
export class StaticTrustStore implements TrustStoreView {
  readonly #caBundle: readonly X509Certificate[];
  readonly #hostCas: ReadonlyMap<string, readonly X509Certificate[]>;
  readonly #pins: ReadonlyMap<string, readonly string[]>;

  constructor(
    options: {
      readonly caBundle?: readonly X509Certificate[];
      readonly hostCas?: Readonly<Record<string, readonly X509Certificate[]>>;
      readonly pins?: Readonly<Record<string, readonly string[]>>;
    } = {},
  ) {
    this.#caBundle = options.caBundle ?? [];
    this.#hostCas = lowerCaseKeys(options.hostCas ?? {});
    this.#pins = new Map(
      [...lowerCaseKeys(options.pins ?? {})].map(([host, pins]) => [host, pins.map(normalizeFingerprint)]),
    );
  }

  trustedCas(hostName: string): readonly X509Certificate[] {
    return [...this.#caBundle, ...(this.#hostCas.get(hostName.toLowerCase()) ?? [])];
  }

  pinnedFingerprints(hostName: string): readonly string[] {
    return this.#pins.get(hostName.toLowerCase()) ?? [];
  }
}

export interface StoreTrustPolicyOptions {
  /** Node's bundled Mozilla roots (`tls.rootCertificates`); default true. */
  readonly systemRoots?: boolean;
  /** false: an untrusted certificate is rejected with the request's details instead of asked about (scripts). */
  readonly interactive?: boolean;
}

export class StoreTrustPolicy implements TrustPolicy {
  constructor(
    private readonly store: TrustStoreView,
    private readonly options: StoreTrustPolicyOptions = {},
  ) {}

  evaluate(chain: PresentedChain): TrustDecision {
    const [leaf] = chain.certificates;
    if (leaf === undefined) throw new RangeError('a presented chain has at least the leaf certificate');
    const pins = this.store.pinnedFingerprints(chain.hostName);
    if (pins.includes(sha256Fingerprint(leaf))) return { kind: 'accept', basis: 'pin' };
    const anchors = [
      ...(this.options.systemRoots === false ? [] : systemRoots()),
      ...this.store.trustedCas(chain.hostName),
    ];
    const verification = verifyServerChain({
      presented: chain.certificates,
      anchors,
      hostName: chain.hostName,
      now: chain.now,
    });
    const problems: TrustProblem[] = [
      ...(pins.length > 0 ? ['pinned-certificate-changed' as const] : []),
      ...verification.problems,
    ];
    if (problems.length === 0) return { kind: 'accept', basis: 'chain' };
    const request: TrustRequest = {
      hostName: chain.hostName,
      problems,
      chain: verification.path.map(summarizeCertificate),
      pinnedFingerprints: pins,
    };
    return this.options.interactive === false ? { kind: 'reject', request } : { kind: 'ask', request };
  }
}

let systemRootCache: readonly X509Certificate[] | undefined;

function systemRoots(): readonly X509Certificate[] {
  systemRootCache ??= rootCertificates.map((pem) => new X509Certificate(pem));
  return systemRootCache;
}

function lowerCaseKeys<T>(record: Readonly<Record<string, T>>): Map<string, T> {
  return new Map(Object.entries(record).map(([key, value]) => [key.toLowerCase(), value]));
}

const PROBLEM_TEXT: Readonly<Record<TrustProblem, string>> = {
  'unknown-issuer': 'it is issued by a CA that is not trusted',
  'self-signed': 'it is self-signed',
  expired: 'it (or a certificate of its chain) has expired',
  'not-yet-valid': 'it (or a certificate of its chain) is not valid yet',
  'name-mismatch': 'it is not issued for this host name',
  'not-for-server-auth': 'it is not meant for TLS servers (extended key usage)',
  'pinned-certificate-changed':
    'IT IS NOT THE CERTIFICATE PINNED FOR THIS HOST — it may have been replaced, or the connection intercepted',
};

/** One sentence per problem, for error messages and logs. */
export function describeTrustRequest(request: TrustRequest): string {
  const leaf = request.chain[0];
  const problems = request.problems.map((problem) => PROBLEM_TEXT[problem]).join('; ');
  return (
    `the TLS certificate of ${request.hostName} is not trusted: ${problems}. ` +
    (leaf === undefined ? '' : `Subject ${leaf.subject}, issuer ${leaf.issuer}, SHA-256 ${leaf.fingerprintSha256}.`)
  );
}
