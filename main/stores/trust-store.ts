import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import type { HostTrust, PinnedCertificate, TrustedAuthority, TrustScope } from '../../core/contract/trust';
import {
  pemCertificateSchema,
  pinnedCertificateSchema,
  sha256FingerprintSchema,
  trustedAuthoritySchema,
  trustScopeSchema,
} from '../../core/contract/trust';
import { appDataDirectory } from '../platform/app-paths';
import type { DocumentFormat, StoreOpening, VersionedJsonFileOptions } from './versioned-json-file';
import { openDocumentStore, VersionedJsonFile } from './versioned-json-file';

/**
 * The user's trust decisions (DESIGN.md §1 step 2, §2.3, §7): leaf certificates pinned for one host and CA
 * certificates trusted for one host or one group, in `trust.json` (version 1). The system trust store is
 * honoured by the transport besides these; nothing here widens trust beyond the scope a user chose.
 */

export const TRUST_FILE_NAME = 'trust.json';
export const TRUST_VERSION = 1;

const sameScope = (a: TrustScope, b: TrustScope) =>
  a.kind === 'host' ? b.kind === 'host' && a.hostId === b.hostId : b.kind === 'group' && a.groupId === b.groupId;

const scopeKey = (scope: TrustScope) => (scope.kind === 'host' ? `host:${scope.hostId}` : `group:${scope.groupId}`);

export const trustDocumentSchema = z
  .strictObject({
    version: z.literal(TRUST_VERSION),
    pins: z.array(pinnedCertificateSchema),
    authorities: z.array(trustedAuthoritySchema),
  })
  .superRefine((document, context) => {
    const pins = new Set<string>();
    document.pins.forEach((pin, index) => {
      const key = `${pin.hostId} ${pin.sha256}`;
      if (pins.has(key)) context.addIssue({ code: 'custom', path: ['pins', index], message: 'pinned twice' });
      pins.add(key);
    });
    const authorities = new Set<string>();
    document.authorities.forEach((authority, index) => {
      const key = `${scopeKey(authority.scope)} ${authority.sha256}`;
      if (authorities.has(key))
        context.addIssue({ code: 'custom', path: ['authorities', index], message: 'trusted twice' });
      authorities.add(key);
    });
  });
export type TrustDocument = z.output<typeof trustDocumentSchema>;

export const trustFormat: DocumentFormat<TrustDocument> = {
  title: 'certificate trust',
  currentVersion: TRUST_VERSION,
  schema: trustDocumentSchema,
  migrations: [],
  empty: () => ({ version: TRUST_VERSION, pins: [], authorities: [] }),
};

/** A certificate offered as a trust anchor that cannot be one; the message is for the user. */
export class UnusableCertificateError extends Error {
  override readonly name = 'UnusableCertificateError';
}

export interface TrustStoreOptions extends VersionedJsonFileOptions {
  /** Defaults to the app data directory. */
  readonly directory?: string;
}

export class TrustStore {
  #document: TrustDocument;

  private constructor(
    private readonly file: VersionedJsonFile<TrustDocument>,
    document: TrustDocument,
    private readonly now: () => Date,
  ) {
    this.#document = document;
  }

  static open(options: TrustStoreOptions = {}): Promise<StoreOpening<TrustStore>> {
    const filePath = path.join(options.directory ?? appDataDirectory(), TRUST_FILE_NAME);
    const now = options.now ?? (() => new Date());
    const file = new VersionedJsonFile(filePath, trustFormat, { ...options, now });
    return openDocumentStore(file, (opened, document) => new TrustStore(opened, document, now));
  }

  get pins(): readonly PinnedCertificate[] {
    return this.#document.pins;
  }

  get authorities(): readonly TrustedAuthority[] {
    return this.#document.authorities;
  }

  /** What the TLS trust policy needs to connect to `hostId`, a member of `groupId` when given. */
  trustFor(hostId: string, groupId?: string): HostTrust {
    return {
      pinnedSha256: this.#document.pins.filter((pin) => pin.hostId === hostId).map((pin) => pin.sha256),
      authorities: this.#document.authorities
        .filter(({ scope }) => (scope.kind === 'host' ? scope.hostId === hostId : scope.groupId === groupId))
        .map(({ scope, sha256, subject, pem }) => ({ scope, sha256, subject, pem })),
    };
  }

  /**
   * Pins a leaf certificate for a host. `replaceExisting` drops the host's other pins: the user accepted a
   * changed certificate in place of the old one.
   */
  async pinCertificate(
    hostId: string,
    certificate: { readonly sha256: string; readonly subject: string },
    options: { readonly replaceExisting?: boolean } = {},
  ): Promise<PinnedCertificate> {
    const pin = pinnedCertificateSchema.parse({ hostId, ...certificate, pinnedAt: this.now().toISOString() });
    const kept = this.#document.pins.filter(
      (existing) => existing.hostId !== hostId || (!options.replaceExisting && existing.sha256 !== pin.sha256),
    );
    await this.#commit({ ...this.#document, pins: [...kept, pin] });
    return pin;
  }

  async unpinCertificate(hostId: string, sha256: string): Promise<boolean> {
    const fingerprint = sha256FingerprintSchema.parse(sha256);
    return (
      (await this.#remove(
        (pin) => pin.hostId === hostId && pin.sha256 === fingerprint,
        () => false,
      )) > 0
    );
  }

  /**
   * Trusts the CA certificate `pem` (exactly one certificate, basicConstraints CA:TRUE) for `scope`.
   * Trusting one already trusted there changes nothing and returns the existing decision.
   */
  async trustAuthority(scope: TrustScope, pem: string): Promise<TrustedAuthority> {
    const checkedScope = trustScopeSchema.parse(scope);
    const certificate = readCaCertificate(pem);
    const sha256 = certificate.fingerprint256.replaceAll(':', '').toLowerCase();
    const existing = this.#document.authorities.find(
      (entry) => sameScope(entry.scope, checkedScope) && entry.sha256 === sha256,
    );
    if (existing !== undefined) return existing;
    const authority = trustedAuthoritySchema.parse({
      scope: checkedScope,
      sha256,
      subject: certificate.subject.replaceAll('\n', ', '),
      notAfter: new Date(certificate.validTo).toISOString(),
      pem: certificate.toString(),
      addedAt: this.now().toISOString(),
    });
    await this.#commit({ ...this.#document, authorities: [...this.#document.authorities, authority] });
    return authority;
  }

  async removeAuthority(scope: TrustScope, sha256: string): Promise<boolean> {
    const fingerprint = sha256FingerprintSchema.parse(sha256);
    return (
      (await this.#remove(
        () => false,
        (entry) => sameScope(entry.scope, scope) && entry.sha256 === fingerprint,
      )) > 0
    );
  }

  /** Drops the host's pins and the CAs trusted for it alone (the host was deleted); returns how many. */
  forgetHost(hostId: string): Promise<number> {
    return this.#remove(
      (pin) => pin.hostId === hostId,
      ({ scope }) => scope.kind === 'host' && scope.hostId === hostId,
    );
  }

  /** Drops the CAs trusted for the group (the group was deleted); returns how many. */
  forgetGroup(groupId: string): Promise<number> {
    return this.#remove(
      () => false,
      ({ scope }) => scope.kind === 'group' && scope.groupId === groupId,
    );
  }

  /** Settles once every change made so far is on disk (or its write has failed and been reported). */
  flushed(): Promise<void> {
    return this.file.flushed();
  }

  async #remove(
    pinGoes: (pin: PinnedCertificate) => boolean,
    authorityGoes: (authority: TrustedAuthority) => boolean,
  ): Promise<number> {
    const pins = this.#document.pins.filter((pin) => !pinGoes(pin));
    const authorities = this.#document.authorities.filter((authority) => !authorityGoes(authority));
    const removed = this.#document.pins.length - pins.length + this.#document.authorities.length - authorities.length;
    if (removed > 0) await this.#commit({ ...this.#document, pins, authorities });
    return removed;
  }

  #commit(next: TrustDocument): Promise<void> {
    this.#document = trustDocumentSchema.parse(next);
    return this.file.save(this.#document);
  }
}

function readCaCertificate(pem: string): X509Certificate {
  const block = pemCertificateSchema.safeParse(pem);
  if (!block.success) {
    throw new UnusableCertificateError(
      'Choose a file with exactly one certificate in PEM form (-----BEGIN CERTIFICATE-----).',
    );
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(block.data);
  } catch {
    throw new UnusableCertificateError('The PEM block is not a readable X.509 certificate.');
  }
  if (!certificate.ca) {
    throw new UnusableCertificateError(
      `${certificate.subject.replaceAll('\n', ', ')} is not a certification authority; pin it for the host instead.`,
    );
  }
  return certificate;
}
