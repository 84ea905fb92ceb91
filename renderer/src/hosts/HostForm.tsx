import type { ReactNode } from 'react';
import { useId, useRef, useState } from 'react';
import type { HostServiceClient } from '../../../core/contract/app-contract';
import type { FieldProblem } from '../../../core/contract/field-problems';
import { fieldProblems } from '../../../core/contract/field-problems';
import type { HostGroup, HostProfile } from '../../../core/contract/host-profile';
import {
  AUTH_METHODS,
  hostProfileDraftSchema,
  MESSAGE_ENCRYPTION_MODES,
  SHELL_TYPES,
  TRANSPORTS,
} from '../../../core/contract/host-profile';
import type { ShownError } from '../dialogs/error-text';
import { shownError } from '../dialogs/error-text';
import { ErrorMessage } from '../dialogs/ErrorMessage';
import { Modal } from '../dialogs/Modal';
import type { HostFormValues } from './host-form-values';
import {
  draftFromHostFormValues,
  emptyHostFormValues,
  formFieldOfProblem,
  hostFormValuesFromProfile,
  withTransport,
} from './host-form-values';

const AUTH_LABELS: Readonly<Record<HostProfile['auth'], string>> = {
  negotiate: 'Negotiate (Kerberos, else NTLM)',
  basic: 'Basic',
  certificate: 'Certificate',
  ntlm: 'NTLM',
  kerberos: 'Kerberos',
  credssp: 'CredSSP',
};
const ENCRYPTION_LABELS: Readonly<Record<HostProfile['advanced']['messageEncryption'], string>> = {
  auto: 'Auto (encrypt over HTTP, TLS over HTTPS)',
  always: 'Always',
  never: 'Never',
};
const SHELL_LABELS: Readonly<Record<HostProfile['shell'], string>> = { powershell: 'PowerShell', cmd: 'cmd (WinRS)' };

type TextKey = {
  [K in keyof HostFormValues]: HostFormValues[K] extends string ? K : never;
}[keyof HostFormValues];
type FlagKey = 'channelBinding' | 'credSspConsent';

/**
 * Adds a host or edits one: the essentials first, the advanced options folded away (opened by itself
 * when one of them has a problem). Problems from the schema are shown next to their fields before
 * anything is sent; those main reports come back to the same places.
 */
export function HostForm({
  hosts,
  groups,
  editing,
  initialGroupId,
  onDone,
}: {
  readonly hosts: HostServiceClient;
  readonly groups: readonly HostGroup[];
  /** The host being edited; absent to add one. */
  readonly editing?: HostProfile;
  readonly initialGroupId?: string;
  readonly onDone: (saved: HostProfile | undefined) => void;
}) {
  const [values, setValues] = useState(() =>
    editing === undefined ? emptyHostFormValues(initialGroupId) : hostFormValuesFromProfile(editing),
  );
  const [problems, setProblems] = useState<readonly FieldProblem[]>([]);
  const [failure, setFailure] = useState<ShownError | undefined>();
  const [saving, setSaving] = useState(false);
  const advanced = useRef<HTMLDetailsElement>(null);
  const id = useId();

  const set = (change: Partial<HostFormValues>) => setValues((current) => ({ ...current, ...change }));

  const showProblems = (found: readonly FieldProblem[]) => {
    const mapped = found.map((problem) => ({ ...problem, field: formFieldOfProblem(problem.field) }));
    setProblems(mapped);
    if (mapped.some((problem) => problem.field.startsWith('advanced.')) && advanced.current !== null) {
      advanced.current.open = true;
    }
    const first = mapped[0];
    if (first !== undefined) document.getElementById(`${id}-${first.field}`)?.focus();
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    const draft = draftFromHostFormValues(values);
    const checked = hostProfileDraftSchema.safeParse(draft);
    if (!checked.success) {
      showProblems(fieldProblems(checked.error));
      return;
    }
    setProblems([]);
    setSaving(true);
    try {
      onDone(editing === undefined ? await hosts.add({ draft }) : await hosts.update({ id: editing.id, draft }));
    } catch (error) {
      const shown = shownError(error);
      if (shown.problems.length > 0) showProblems(shown.problems);
      else setFailure(shown);
      setSaving(false);
    }
  };

  const field = (name: string, label: string, control: (props: ControlProps) => ReactNode, hint?: string) => {
    const controlId = `${id}-${name}`;
    const problem = problems.find((candidate) => candidate.field === name)?.message;
    const describedBy = [problem && `${controlId}-problem`, hint && `${controlId}-hint`].filter(Boolean).join(' ');
    return (
      <div className="field">
        <label htmlFor={controlId}>{label}</label>
        {control({
          id: controlId,
          'aria-invalid': problem === undefined ? undefined : true,
          'aria-describedby': describedBy === '' ? undefined : describedBy,
        })}
        {hint === undefined ? null : (
          <p id={`${controlId}-hint`} className="hint">
            {hint}
          </p>
        )}
        {problem === undefined ? null : (
          <p id={`${controlId}-problem`} className="problem">
            {problem}
          </p>
        )}
      </div>
    );
  };
  /** A text input for `key`, whose schema problems come under `path`. */
  const textAt = (
    key: TextKey,
    path: string,
    label: string,
    extra: Partial<React.InputHTMLAttributes<HTMLInputElement>> = {},
    hint?: string,
  ) =>
    field(
      path,
      label,
      (props) => (
        <input
          type="text"
          {...extra}
          {...props}
          value={values[key]}
          onChange={(event) => set({ [key]: event.target.value })}
        />
      ),
      hint,
    );
  const text = (key: TextKey, label: string, extra: Partial<React.InputHTMLAttributes<HTMLInputElement>> = {}) =>
    textAt(key, key, label, extra);
  const select = <V extends string>(
    name: string,
    label: string,
    value: V,
    options: readonly V[],
    labels: Readonly<Record<V, string>>,
    onChange: (value: V) => void,
    hint?: string,
  ) =>
    field(
      name,
      label,
      (props) => (
        <select {...props} value={value} onChange={(event) => onChange(event.target.value as V)}>
          {options.map((option) => (
            <option key={option} value={option}>
              {labels[option]}
            </option>
          ))}
        </select>
      ),
      hint,
    );
  const flag = (key: FlagKey, path: string, label: string, hint: string) => {
    const controlId = `${id}-${path}`;
    return (
      <div className="field checkbox">
        <input
          id={controlId}
          type="checkbox"
          checked={values[key]}
          aria-describedby={`${controlId}-hint`}
          onChange={(event) => set({ [key]: event.target.checked })}
        />
        <label htmlFor={controlId}>{label}</label>
        <p id={`${controlId}-hint`} className="hint">
          {hint}
        </p>
      </div>
    );
  };

  const placed = new Set([
    'name',
    'groupId',
    'address',
    'transport',
    'port',
    'auth',
    'user',
    'configurationName',
    'shell',
    'advanced.spnService',
    'advanced.spnHostname',
    'advanced.messageEncryption',
    'advanced.maxEnvelopeSizeKiB',
    'advanced.timeouts.connectSeconds',
    'advanced.timeouts.readSeconds',
    'advanced.timeouts.operationSeconds',
    'advanced.proxyUrl',
    'advanced.clientCertificate',
  ]);
  const otherProblems = problems.filter((problem) => !placed.has(problem.field));
  const groupOptions = ['', ...groups.map((group) => group.id)];
  const groupLabels = Object.fromEntries([['', '(no group)'], ...groups.map((group) => [group.id, group.name])]);

  return (
    <Modal title={editing === undefined ? 'Add a host' : `Edit ${editing.name}`} onDismiss={() => onDone(undefined)}>
      <form onSubmit={submit} noValidate className="host-form">
        {text('name', 'Name')}
        {select('groupId', 'Group', values.groupId, groupOptions, groupLabels, (groupId) => set({ groupId }))}
        {text('address', 'Address', { placeholder: 'server01.corp.example.com', spellCheck: false })}
        {select('transport', 'Transport', values.transport, TRANSPORTS, { https: 'HTTPS', http: 'HTTP' }, (transport) =>
          setValues((current) => withTransport(current, transport)),
        )}
        {field('port', 'Port', (props) => (
          <input
            type="text"
            inputMode="numeric"
            {...props}
            value={values.port}
            onChange={(event) => set({ port: event.target.value, portEdited: true })}
          />
        ))}
        {select('auth', 'Authentication', values.auth, AUTH_METHODS, AUTH_LABELS, (auth) => set({ auth }))}
        {text('user', 'User', { placeholder: 'DOMAIN\\user or user@REALM', spellCheck: false, autoComplete: 'off' })}
        {select('shell', 'Shell', values.shell, SHELL_TYPES, SHELL_LABELS, (shell) => set({ shell }))}
        {text('configurationName', 'Configuration (JEA)', { placeholder: 'Microsoft.PowerShell', spellCheck: false })}

        <details ref={advanced} className="advanced">
          <summary>Advanced options</summary>
          {textAt('spnService', 'advanced.spnService', 'SPN service', { placeholder: 'HTTP, then host, WSMAN' })}
          {textAt(
            'spnHostname',
            'advanced.spnHostname',
            'SPN host name',
            { spellCheck: false },
            'The name Kerberos and the certificate check use instead of the address, e.g. when connecting by IP.',
          )}
          {flag(
            'channelBinding',
            'advanced.channelBinding',
            'Channel binding',
            'Binds authentication to this TLS connection, so it cannot be relayed (needed where the server hardens CBT).',
          )}
          {select(
            'advanced.messageEncryption',
            'Message encryption',
            values.messageEncryption,
            MESSAGE_ENCRYPTION_MODES,
            ENCRYPTION_LABELS,
            (messageEncryption) => set({ messageEncryption }),
          )}
          {textAt('maxEnvelopeSizeKiB', 'advanced.maxEnvelopeSizeKiB', 'Envelope size (KiB)', {
            inputMode: 'numeric',
            placeholder: 'as the server reports',
          })}
          {textAt('connectSeconds', 'advanced.timeouts.connectSeconds', 'Connect timeout (s)', {
            inputMode: 'numeric',
          })}
          {textAt('readSeconds', 'advanced.timeouts.readSeconds', 'Read timeout (s)', { inputMode: 'numeric' })}
          {textAt('operationSeconds', 'advanced.timeouts.operationSeconds', 'Operation timeout (s)', {
            inputMode: 'numeric',
          })}
          {textAt('proxyUrl', 'advanced.proxyUrl', 'Proxy', { placeholder: 'http://proxy:3128', spellCheck: false })}
          {select(
            'advanced.clientCertificate',
            'Client certificate',
            values.clientCertificateSource,
            ['none', 'file', 'keychain'] as const,
            { none: 'None', file: 'From a file', keychain: 'From the keychain' },
            (clientCertificateSource) => set({ clientCertificateSource }),
            'For certificate authentication; the key itself is never stored in the profile.',
          )}
          {values.clientCertificateSource === 'file'
            ? textAt('clientCertificatePath', 'advanced.clientCertificate.path', 'Certificate file', {
                placeholder: '/home/alice/admin.pfx',
                spellCheck: false,
              })
            : null}
          {values.clientCertificateSource === 'keychain'
            ? textAt('clientCertificateAccount', 'advanced.clientCertificate.account', 'Keychain entry')
            : null}
          {flag(
            'credSspConsent',
            'advanced.credSspConsent',
            'Allow CredSSP to delegate my password',
            'CredSSP sends your password itself (not a ticket) to the server, so it can reach other machines as you. A compromised server keeps it. Allow it only for hosts you trust with your password.',
          )}
        </details>

        {otherProblems.map((problem) => (
          <p key={problem.field + problem.message} className="problem" role="alert">
            {problem.message}
          </p>
        ))}
        <ErrorMessage error={failure} />
        <div className="dialog-actions">
          <button type="button" onClick={() => onDone(undefined)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={saving}>
            {editing === undefined ? 'Add host' : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

interface ControlProps {
  readonly id: string;
  readonly 'aria-invalid': true | undefined;
  readonly 'aria-describedby': string | undefined;
}
