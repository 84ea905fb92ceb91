import { z } from 'zod';

/**
 * Trust decisions a user made in the trust dialog (DESIGN.md §1 step 2, §7): a pinned leaf certificate for
 * one host, or a CA trusted for one host or for every host of a group. Never a global switch.
 */

/** SHA-256 of the certificate's DER; `AB:CD:…`, spaced or plain hex in, lower-case hex without separators out. */
export const sha256FingerprintSchema = z
  .string()
  .overwrite((text) => text.replace(/[\s:]/g, '').toLowerCase())
  .regex(/^[0-9a-f]{64}$/, { error: 'A SHA-256 fingerprint is 64 hexadecimal digits.' });

/** Exactly one PEM certificate block. */
export const pemCertificateSchema = z
  .string()
  .trim()
  .regex(/^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----$/, {
    error: 'Expected one certificate in PEM form (-----BEGIN CERTIFICATE-----).',
  });

export const trustScopeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('host'), hostId: z.uuid() }),
  z.strictObject({ kind: z.literal('group'), groupId: z.uuid() }),
]);
export type TrustScope = z.output<typeof trustScopeSchema>;

const timestamp = z.iso.datetime({ offset: true });

export const pinnedCertificateSchema = z.strictObject({
  hostId: z.uuid(),
  sha256: sha256FingerprintSchema,
  /** The subject shown when it was pinned, so a later warning can name what it was. */
  subject: z.string(),
  pinnedAt: timestamp,
});
export type PinnedCertificate = z.output<typeof pinnedCertificateSchema>;

export const trustedAuthoritySchema = z.strictObject({
  scope: trustScopeSchema,
  sha256: sha256FingerprintSchema,
  subject: z.string(),
  notAfter: timestamp,
  pem: pemCertificateSchema,
  addedAt: timestamp,
});
export type TrustedAuthority = z.output<typeof trustedAuthoritySchema>;

/** What a TLS trust policy needs for one connection: the host's pins and every CA in the host's or group's scope. */
export interface HostTrust {
  /** Lower-case hex SHA-256 of the accepted leaf certificates; empty when nothing is pinned. */
  readonly pinnedSha256: readonly string[];
  readonly authorities: readonly Pick<TrustedAuthority, 'sha256' | 'subject' | 'pem' | 'scope'>[];
}
