import { useId, useState } from 'react';
import type { ShownError } from './error-text';
import { shownError } from './error-text';
import { ErrorMessage } from './ErrorMessage';
import { Modal } from './Modal';

/** Asks for one name (a new group, a renamed one); main's refusal is shown beside the field. */
export function NameDialog({
  title,
  label,
  initialName = '',
  submitLabel,
  onSubmit,
  onCancel,
}: {
  readonly title: string;
  readonly label: string;
  readonly initialName?: string;
  readonly submitLabel: string;
  /** Resolves when saved; a rejection is shown and the dialog stays. */
  readonly onSubmit: (name: string) => Promise<void>;
  readonly onCancel: () => void;
}) {
  const [name, setName] = useState(initialName);
  const [error, setError] = useState<ShownError | undefined>();
  const id = useId();

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      await onSubmit(name);
    } catch (failure) {
      setError(shownError(failure));
    }
  };

  const problem = error?.problems[0]?.message ?? error?.message;
  return (
    <Modal title={title} onDismiss={onCancel}>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-name`}>{label}</label>
          <input
            id={`${id}-name`}
            type="text"
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={problem === undefined ? undefined : true}
            aria-describedby={problem === undefined ? undefined : `${id}-problem`}
          />
          {problem === undefined ? null : (
            <p id={`${id}-problem`} className="problem" role="alert">
              {problem}
            </p>
          )}
        </div>
        {error?.details === undefined ? null : <ErrorMessage error={{ ...error, message: 'Details' }} />}
        <div className="dialog-actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary">
            {submitLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
