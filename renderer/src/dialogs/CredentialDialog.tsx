import { useEffect, useId, useRef, useState } from 'react';
import type { AppClient } from '../../../core/contract/app-contract';
import type { SecretState } from '../../../core/contract/credential-service';
import type { HostProfile } from '../../../core/contract/host-profile';
import type { ShownError } from './error-text';
import { shownError } from './error-text';
import { ErrorMessage } from './ErrorMessage';
import { Modal } from './Modal';

/**
 * Asks for the password of a host's user (DESIGN.md §1 step 3, §7). The password never enters React
 * state: the field is uncontrolled, read once on submit and emptied before the secret is sent to main,
 * which never sends it back. Whether one is saved is shown; the saved one never is.
 */
export function CredentialDialog({
  host,
  credentials,
  onDone,
}: {
  readonly host: HostProfile;
  readonly credentials: AppClient['credentials'];
  readonly onDone: (state: SecretState | undefined) => void;
}) {
  const [user, setUser] = useState(host.user);
  const [remember, setRemember] = useState(false);
  const [saved, setSaved] = useState<SecretState | undefined>();
  const [error, setError] = useState<ShownError | undefined>();
  const [saving, setSaving] = useState(false);
  const password = useRef<HTMLInputElement>(null);
  const userField = useRef<HTMLInputElement>(null);
  const id = useId();

  // `user` absent means the profile's user, so a secret saved for the profile follows a rename of its user.
  const key = { hostId: host.id, ...(user === host.user ? {} : { user }) };
  const keyText = JSON.stringify(key);
  useEffect(() => {
    let current = true;
    credentials.hasSecret(JSON.parse(keyText) as typeof key).then(
      (state) => current && setSaved(state),
      () => current && setSaved(undefined),
    );
    return () => {
      current = false;
    };
  }, [credentials, keyText]);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const field = password.current;
    if (field === null) return;
    const secret = field.value;
    field.value = '';
    if (secret === '') {
      setError({ message: 'Enter the password.', problems: [] });
      field.focus();
      return;
    }
    setError(undefined);
    setSaving(true);
    try {
      onDone(await credentials.setSecret({ ...key, secret, remember }));
    } catch (failure) {
      setError(shownError(failure));
      setSaving(false);
      field.focus();
    }
  };

  const savedNote =
    saved?.remembered === true
      ? 'A password for this user is saved in the keychain; entering one replaces it.'
      : saved?.heldForSession === true
        ? 'A password for this user is held until WinRM Desk quits; entering one replaces it.'
        : undefined;

  return (
    <Modal
      title={`Sign in to ${host.name}`}
      onDismiss={() => onDone(undefined)}
      initialFocus={host.user === '' ? userField : password}
    >
      <form onSubmit={submit} noValidate>
        <p className="dialog-lead">
          {host.address}:{host.port} · {host.auth}
        </p>
        <div className="field">
          <label htmlFor={`${id}-user`}>User</label>
          <input
            id={`${id}-user`}
            ref={userField}
            type="text"
            autoComplete="username"
            value={user}
            onChange={(event) => setUser(event.target.value)}
            placeholder="DOMAIN\user"
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input id={`${id}-password`} ref={password} type="password" autoComplete="off" spellCheck={false} />
        </div>
        <div className="field checkbox">
          <input
            id={`${id}-remember`}
            type="checkbox"
            checked={remember}
            onChange={(event) => setRemember(event.target.checked)}
          />
          <label htmlFor={`${id}-remember`}>Remember in the keychain</label>
        </div>
        {savedNote === undefined ? null : <p className="note">{savedNote}</p>}
        <ErrorMessage error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={() => onDone(undefined)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={saving}>
            Sign in
          </button>
        </div>
      </form>
    </Modal>
  );
}
