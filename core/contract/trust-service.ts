import { z } from 'zod';
import type { ServiceDefinition } from './definition';
import { method } from './definition';
import {
  pemCertificateSchema,
  pinnedCertificateSchema,
  sha256FingerprintSchema,
  trustedAuthoritySchema,
  trustScopeSchema,
} from './trust';

/**
 * The trust dialog's data (DESIGN.md §1 step 2): main asks through `onDidRequestTrust` when a server's
 * certificate is not trusted, and waits for `answer`. A pinned certificate that changed comes with the
 * problem `pinned-certificate-changed` and the old fingerprints, so the dialog can warn loudly.
 */

/** Why a certificate is not trusted; the same words as main's chain verification. */
export const TRUST_PROBLEMS = [
  'unknown-issuer',
  'self-signed',
  'expired',
  'not-yet-valid',
  'name-mismatch',
  'not-for-server-auth',
  'pinned-certificate-changed',
] as const;
export type TrustProblemName = (typeof TRUST_PROBLEMS)[number];

const timestamp = z.iso.datetime({ offset: true });

export const certificateDetailsSchema = z.strictObject({
  subject: z.string(),
  issuer: z.string(),
  /** `DNS:host`, `IP Address:192.0.2.1`, … */
  subjectAltNames: z.array(z.string()),
  validFrom: timestamp,
  validTo: timestamp,
  sha256: sha256FingerprintSchema,
  serialNumber: z.string(),
  isCertificateAuthority: z.boolean(),
  pem: pemCertificateSchema,
});
export type CertificateDetails = z.output<typeof certificateDetailsSchema>;

export const trustRequestSchema = z.strictObject({
  requestId: z.uuid(),
  hostId: z.uuid(),
  /** The name the certificate was checked against. */
  hostName: z.string(),
  /** Present when the host is in a group, so the CA can be trusted for the whole group. */
  groupId: z.uuid().optional(),
  problems: z.array(z.enum(TRUST_PROBLEMS)).min(1),
  /** Leaf first, then each issuer found. */
  chain: z.array(certificateDetailsSchema).min(1),
  /** The host's pinned fingerprints when the certificate presented is none of them. */
  pinnedFingerprints: z.array(sha256FingerprintSchema),
});
export type TrustRequest = z.output<typeof trustRequestSchema>;

export const trustDecisionSchema = z.discriminatedUnion('kind', [
  /** Trust this certificate for this host (replacing a pin that changed). */
  z.strictObject({ kind: z.literal('pin') }),
  /** Trust a CA — one of the presented chain, or one from a PEM file — for this host or its group. */
  z.strictObject({
    kind: z.literal('trust-ca'),
    certificate: z.discriminatedUnion('from', [
      z.strictObject({ from: z.literal('chain'), sha256: sha256FingerprintSchema }),
      z.strictObject({ from: z.literal('pem'), pem: pemCertificateSchema }),
    ]),
    scope: z.enum(['host', 'group']),
  }),
  z.strictObject({ kind: z.literal('cancel') }),
]);
export type TrustDecision = z.output<typeof trustDecisionSchema>;

export const trustSettlementSchema = z.strictObject({
  requestId: z.uuid(),
  /** `abandoned`: the connection that asked went away before an answer. */
  outcome: z.enum(['pinned', 'trusted-ca', 'cancelled', 'abandoned']),
});
export type TrustSettlement = z.output<typeof trustSettlementSchema>;

export const trustListSchema = z.strictObject({
  pins: z.array(pinnedCertificateSchema),
  authorities: z.array(trustedAuthoritySchema),
});
export type TrustList = z.output<typeof trustListSchema>;

export const trustServiceDefinition = {
  methods: {
    list: method(z.void(), trustListSchema),
    /** Requests not answered yet (for a window that opened after they were asked). */
    pendingRequests: method(z.void(), z.array(trustRequestSchema)),
    answer: method(z.strictObject({ requestId: z.uuid(), decision: trustDecisionSchema }), trustSettlementSchema),
    /** Trusts a CA from a PEM file for a host or a group, outside any connection. */
    importAuthority: method(
      z.strictObject({ scope: trustScopeSchema, pem: z.string().max(64 * 1024) }),
      trustedAuthoritySchema,
    ),
    unpin: method(z.strictObject({ hostId: z.uuid(), sha256: sha256FingerprintSchema }), z.void()),
    removeAuthority: method(z.strictObject({ scope: trustScopeSchema, sha256: sha256FingerprintSchema }), z.void()),
  },
  events: {
    onDidRequestTrust: trustRequestSchema,
    onDidSettleTrustRequest: trustSettlementSchema,
    onDidChangeTrust: trustListSchema,
  },
} as const satisfies ServiceDefinition;
