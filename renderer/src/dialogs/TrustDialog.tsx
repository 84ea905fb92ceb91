import { useId, useRef, useState } from 'react';
import type { AppClient } from '../../../core/contract/app-contract';
import type { CertificateDetails, TrustDecision, TrustRequest } from '../../../core/contract/trust-service';
import { authorityCandidates, formatInstant, groupedFingerprint, trustProblemSentence } from './certificate-text';
import type { ShownError } from './error-text';
import { shownError } from './error-text';
import { ErrorMessage } from './ErrorMessage';
import { Modal } from './Modal';

/**
 * The trust dialog (DESIGN.md §1 step 2): what the server presented and why it is not trusted, and the
 * three answers — pin this certificate for the host, trust a CA (from the chain or a PEM file) for the
 * host or its group, or cancel. A pinned certificate that changed is a loud warning that shows both
 * fingerprints and has the focus on Cancel.
 */
export function TrustDialog({
  request,
  hostLabel,
  groupLabel,
  trust,
  onAnswered,
}: {
  readonly request: TrustRequest;
  /** The saved host's name, for the title. */
  readonly hostLabel: string;
  readonly groupLabel: string | undefined;
  readonly trust: AppClient['trust'];
  readonly onAnswered: () => void;
}) {
  const pinChanged = request.problems.includes('pinned-certificate-changed');
  const candidates = authorityCandidates(request);
  const [authority, setAuthority] = useState<string>(candidates[0]?.sha256 ?? '');
  const [importedPem, setImportedPem] = useState<{ name: string; pem: string } | undefined>();
  const [scope, setScope] = useState<'host' | 'group'>('host');
  const [error, setError] = useState<ShownError | undefined>();
  const [busy, setBusy] = useState(false);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const pemInput = useRef<HTMLInputElement>(null);
  const id = useId();
  const [leaf] = request.chain as [CertificateDetails, ...CertificateDetails[]];

  const answer = async (decision: TrustDecision) => {
    setBusy(true);
    setError(undefined);
    try {
      await trust.answer({ requestId: request.requestId, decision });
      onAnswered();
    } catch (failure) {
      setError(shownError(failure));
      setBusy(false);
    }
  };

  const trustAuthority = () => {
    const certificate =
      authority === 'pem'
        ? importedPem && { from: 'pem' as const, pem: importedPem.pem }
        : authority === ''
          ? undefined
          : { from: 'chain' as const, sha256: authority };
    if (certificate === undefined) {
      setError({ message: 'Choose the CA to trust, or import it from a PEM file.', problems: [] });
      return;
    }
    void answer({ kind: 'trust-ca', certificate, scope });
  };

  const readPemFile = async (file: File | undefined) => {
    if (file === undefined) return;
    const text = await file.text();
    const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
    if (block === undefined) {
      setError({ message: `${file.name} holds no certificate in PEM form.`, problems: [] });
      return;
    }
    setError(undefined);
    setImportedPem({ name: file.name, pem: block });
    setAuthority('pem');
  };

  return (
    <Modal
      title={pinChanged ? `Warning: the certificate of ${hostLabel} has changed` : `Do you trust ${hostLabel}?`}
      onDismiss={() => void answer({ kind: 'cancel' })}
      tone={pinChanged ? 'danger' : 'normal'}
      role={pinChanged ? 'alertdialog' : 'dialog'}
      initialFocus={pinChanged ? cancelButton : undefined}
      describedBy={`${id}-reasons`}
    >
      <div id={`${id}-reasons`}>
        <p className="dialog-lead">The certificate {request.hostName} presented is not trusted:</p>
        <ul className="reasons">
          {request.problems.map((problem) => (
            <li key={problem}>{trustProblemSentence(problem, request.hostName)}</li>
          ))}
        </ul>
      </div>

      {pinChanged ? (
        <dl className="fingerprint-compare" aria-label="Fingerprints">
          <dt>Pinned (SHA-256)</dt>
          {request.pinnedFingerprints.map((sha256) => (
            <dd key={sha256} className="fingerprint" data-testid="pinned-fingerprint">
              {groupedFingerprint(sha256)}
            </dd>
          ))}
          <dt>Presented now (SHA-256)</dt>
          <dd className="fingerprint" data-testid="presented-fingerprint">
            {groupedFingerprint(leaf.sha256)}
          </dd>
        </dl>
      ) : null}

      <section aria-label="Certificate">
        <dl className="certificate">
          <dt>Subject</dt>
          <dd>{leaf.subject || '(empty)'}</dd>
          <dt>Alternative names</dt>
          <dd>{leaf.subjectAltNames.length === 0 ? '(none)' : leaf.subjectAltNames.join(', ')}</dd>
          <dt>Valid</dt>
          <dd>
            {formatInstant(leaf.validFrom)} – {formatInstant(leaf.validTo)}
          </dd>
          <dt>SHA-256</dt>
          <dd className="fingerprint" data-testid="certificate-fingerprint">
            {groupedFingerprint(leaf.sha256)}
          </dd>
          <dt>Serial number</dt>
          <dd className="fingerprint">{leaf.serialNumber}</dd>
        </dl>
        <h3>Issuer chain</h3>
        <ol className="chain" aria-label="Issuer chain">
          {request.chain.map((certificate, index) => (
            <li key={`${certificate.sha256}-${index}`}>
              <span>{certificate.subject || '(empty subject)'}</span>
              <span className="chain-detail">
                issued by {certificate.issuer || '(empty)'} · valid to {formatInstant(certificate.validTo)}
              </span>
            </li>
          ))}
          {request.chain.at(-1)?.issuer !== request.chain.at(-1)?.subject ? (
            <li className="chain-missing">{request.chain.at(-1)?.issuer} (not presented by the server)</li>
          ) : null}
        </ol>
      </section>

      <fieldset className="trust-choice">
        <legend>Trust the issuing CA</legend>
        <div role="radiogroup" aria-label="CA to trust">
          {candidates.map((certificate) => (
            <label key={certificate.sha256} className="radio">
              <input
                type="radio"
                name={`${id}-authority`}
                checked={authority === certificate.sha256}
                onChange={() => setAuthority(certificate.sha256)}
              />
              {certificate.subject}
            </label>
          ))}
          {importedPem === undefined ? null : (
            <label className="radio">
              <input
                type="radio"
                name={`${id}-authority`}
                checked={authority === 'pem'}
                onChange={() => setAuthority('pem')}
              />
              From {importedPem.name}
            </label>
          )}
        </div>
        <button type="button" onClick={() => pemInput.current?.click()}>
          Import a CA from a PEM file…
        </button>
        <input
          ref={pemInput}
          type="file"
          accept=".pem,.crt,.cer,application/x-pem-file"
          hidden
          aria-label="CA certificate file"
          onChange={(event) => void readPemFile(event.target.files?.[0])}
        />
        <div role="radiogroup" aria-label="Trust the CA for">
          <label className="radio">
            <input type="radio" name={`${id}-scope`} checked={scope === 'host'} onChange={() => setScope('host')} />
            This host only
          </label>
          <label className="radio">
            <input
              type="radio"
              name={`${id}-scope`}
              checked={scope === 'group'}
              disabled={request.groupId === undefined}
              onChange={() => setScope('group')}
            />
            {groupLabel === undefined ? 'Its group (the host is in none)' : `Every host in ${groupLabel}`}
          </label>
        </div>
      </fieldset>

      <ErrorMessage error={error} />
      <div className="dialog-actions">
        <button type="button" ref={cancelButton} onClick={() => void answer({ kind: 'cancel' })} disabled={busy}>
          Cancel
        </button>
        <button type="button" onClick={trustAuthority} disabled={busy}>
          Trust the CA
        </button>
        <button
          type="button"
          className={pinChanged ? 'danger' : 'primary'}
          onClick={() => void answer({ kind: 'pin' })}
          disabled={busy}
        >
          {pinChanged ? 'Replace the pinned certificate' : 'Pin this certificate for this host'}
        </button>
      </div>
    </Modal>
  );
}
