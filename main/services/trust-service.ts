import { X509Certificate } from 'node:crypto';
import type { TrustService } from '../../core/contract/app-contract';
import { ContractError } from '../../core/contract/contract-error';
import { Emitter } from '../../core/contract/emitter';
import type { TrustedAuthority, TrustScope } from '../../core/contract/trust';
import type {
  CertificateDetails,
  TrustDecision,
  TrustList,
  TrustRequest,
  TrustSettlement,
} from '../../core/contract/trust-service';
import type { HostProfileStore } from '../stores/host-profile-store';
import type { TrustStore } from '../stores/trust-store';
import type { CertificateSummary, TrustAnswer, TrustRequest as PresentedTrustRequest } from '../transport';
import type { HostDataKeeper } from './host-service';
import { notFound, translatingStoreErrors } from './service-errors';
import type { StoreSlot } from './store-slot';

interface PendingRequest {
  readonly request: TrustRequest;
  readonly settle: (answer: TrustAnswer, outcome: TrustSettlement['outcome']) => void;
}

/**
 * The trust dialog's counterpart (DESIGN.md §1 step 2, §7). A connection whose certificate is not trusted
 * calls `requestDecision` and waits; the renderer learns of it through `onDidRequestTrust` and answers.
 * The answer is stored here (a pin, or a CA for the host or its group) before the connection is told,
 * so the next connection is trusted without asking. A pin that changed is replaced only by an explicit
 * "pin"; a CA is accepted only if it issued a certificate of the presented chain.
 */
export class TrustServiceImpl implements TrustService, HostDataKeeper {
  readonly #pending = new Map<string, PendingRequest>();
  readonly #requests = new Emitter<TrustRequest>();
  readonly #settlements = new Emitter<TrustSettlement>();
  readonly #changes = new Emitter<TrustList>();

  constructor(
    private readonly trust: StoreSlot<TrustStore>,
    private readonly hosts: StoreSlot<HostProfileStore>,
    private readonly newId: () => string,
  ) {
    trust.onDidReplaceStore(() => this.#changed());
  }

  readonly onDidRequestTrust = this.#requests.event;
  readonly onDidSettleTrustRequest = this.#settlements.event;
  readonly onDidChangeTrust = this.#changes.event;

  async list(): Promise<TrustList> {
    const store = this.trust.store;
    return { pins: [...store.pins], authorities: [...store.authorities] };
  }

  async pendingRequests(): Promise<TrustRequest[]> {
    return [...this.#pending.values()].map(({ request }) => request);
  }

  async answer({ requestId, decision }: { requestId: string; decision: TrustDecision }): Promise<TrustSettlement> {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) throw notFound('The trust request');
    const { request } = pending;
    switch (decision.kind) {
      case 'cancel':
        pending.settle({ kind: 'reject' }, 'cancelled');
        return { requestId, outcome: 'cancelled' };
      case 'pin': {
        const [{ sha256, subject }] = request.chain as [CertificateDetails];
        const replaceExisting = request.problems.includes('pinned-certificate-changed');
        await translatingStoreErrors(() =>
          this.trust.store.pinCertificate(request.hostId, { sha256, subject }, { replaceExisting }),
        );
        pending.settle({ kind: 'pin' }, 'pinned');
        this.#changed();
        return { requestId, outcome: 'pinned' };
      }
      case 'trust-ca': {
        const pem = this.#chosenAuthority(request, decision);
        const scope = this.#scope(request, decision.scope);
        await translatingStoreErrors(() => this.trust.store.trustAuthority(scope, pem));
        pending.settle({ kind: 'trust-ca', certificate: new X509Certificate(pem) }, 'trusted-ca');
        this.#changed();
        return { requestId, outcome: 'trusted-ca' };
      }
    }
  }

  async importAuthority({ scope, pem }: { scope: TrustScope; pem: string }): Promise<TrustedAuthority> {
    if (scope.kind === 'host' && this.hosts.store.host(scope.hostId) === undefined) throw notFound('The host');
    if (scope.kind === 'group' && !this.hosts.store.groups.some((group) => group.id === scope.groupId)) {
      throw notFound('The group');
    }
    const authority = await translatingStoreErrors(() => this.trust.store.trustAuthority(scope, pem));
    this.#changed();
    return authority;
  }

  async unpin({ hostId, sha256 }: { hostId: string; sha256: string }): Promise<void> {
    if (!(await translatingStoreErrors(() => this.trust.store.unpinCertificate(hostId, sha256)))) {
      throw notFound('The pinned certificate');
    }
    this.#changed();
  }

  async removeAuthority({ scope, sha256 }: { scope: TrustScope; sha256: string }): Promise<void> {
    if (!(await translatingStoreErrors(() => this.trust.store.removeAuthority(scope, sha256)))) {
      throw notFound('The trusted CA');
    }
    this.#changed();
  }

  /**
   * Asks the user about a certificate presented by host `hostId`; settles with the transport's answer
   * once the decision is stored, or with a rejection when `signal` aborts (the connection gave up).
   */
  requestDecision(hostId: string, presented: PresentedTrustRequest, signal?: AbortSignal): Promise<TrustAnswer> {
    const host = this.hosts.storeIfReady?.host(hostId);
    if (host === undefined) return Promise.reject(notFound('The host'));
    const request: TrustRequest = {
      requestId: this.newId(),
      hostId,
      hostName: presented.hostName,
      ...(host.groupId === undefined ? {} : { groupId: host.groupId }),
      problems: [...presented.problems],
      chain: presented.chain.map(certificateDetails),
      pinnedFingerprints: [...presented.pinnedFingerprints],
    };
    return new Promise((resolve) => {
      const abandon = () => settle({ kind: 'reject' }, 'abandoned');
      const settle = (answer: TrustAnswer, outcome: TrustSettlement['outcome']) => {
        if (!this.#pending.delete(request.requestId)) return;
        signal?.removeEventListener('abort', abandon);
        resolve(answer);
        this.#settlements.fire({ requestId: request.requestId, outcome });
      };
      this.#pending.set(request.requestId, { request, settle });
      if (signal?.aborted) return abandon();
      signal?.addEventListener('abort', abandon, { once: true });
      this.#requests.fire(request);
    });
  }

  async forgetHost(hostId: string): Promise<void> {
    for (const { request, settle } of [...this.#pending.values()]) {
      if (request.hostId === hostId) settle({ kind: 'reject' }, 'abandoned');
    }
    const removed = await this.trust.storeIfReady?.forgetHost(hostId);
    if (removed !== undefined && removed > 0) this.#changed();
  }

  async forgetGroup(groupId: string): Promise<void> {
    const removed = await this.trust.storeIfReady?.forgetGroup(groupId);
    if (removed !== undefined && removed > 0) this.#changed();
  }

  /** The PEM of the CA the user chose; from the chain it must be a certificate the server presented. */
  #chosenAuthority(request: TrustRequest, decision: Extract<TrustDecision, { kind: 'trust-ca' }>): string {
    const { certificate } = decision;
    const pem =
      certificate.from === 'pem'
        ? certificate.pem
        : request.chain.find((candidate) => candidate.sha256 === certificate.sha256)?.pem;
    if (pem === undefined) throw new ContractError('invalid-input', 'That certificate is not part of the chain.');
    let authority: X509Certificate;
    try {
      authority = new X509Certificate(pem);
    } catch {
      throw new ContractError('invalid-input', 'The PEM block is not a readable X.509 certificate.');
    }
    const issuesTheChain = request.chain.some((details) => {
      const issued = new X509Certificate(details.pem);
      return (
        issued.fingerprint256 === authority.fingerprint256 ||
        (issued.checkIssued(authority) && issued.verify(authority.publicKey))
      );
    });
    if (!issuesTheChain) {
      throw new ContractError(
        'invalid-input',
        `${authority.subject.replaceAll('\n', ', ')} did not issue the certificate ${request.hostName} presented.`,
      );
    }
    return pem;
  }

  #scope(request: TrustRequest, scope: 'host' | 'group'): TrustScope {
    if (scope === 'host') return { kind: 'host', hostId: request.hostId };
    if (request.groupId === undefined) {
      throw new ContractError('invalid-input', 'This host is in no group; trust the CA for the host instead.');
    }
    return { kind: 'group', groupId: request.groupId };
  }

  #changed(): void {
    const store = this.trust.storeIfReady;
    if (store !== undefined) this.#changes.fire({ pins: [...store.pins], authorities: [...store.authorities] });
  }
}

function certificateDetails(summary: CertificateSummary): CertificateDetails {
  return {
    subject: summary.subject,
    issuer: summary.issuer,
    subjectAltNames: [...summary.subjectAltNames],
    validFrom: summary.validFrom.toISOString(),
    validTo: summary.validTo.toISOString(),
    sha256: summary.fingerprintSha256,
    serialNumber: summary.serialNumber,
    isCertificateAuthority: summary.isCertificateAuthority,
    pem: summary.pem.trim(),
  };
}
