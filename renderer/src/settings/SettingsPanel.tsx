import { useId, useState } from 'react';
import type { Settings } from '../../../core/contract/settings-service';
import { settingsChangeSchema } from '../../../core/contract/settings-service';
import type { ShownError } from '../dialogs/error-text';
import { shownError } from '../dialogs/error-text';
import { ErrorMessage } from '../dialogs/ErrorMessage';
import { Modal } from '../dialogs/Modal';
import { useSettings, useUpdateSettings } from './SettingsContext';

type TextSetting = 'fontFamily' | 'fontSize' | 'scrollback';

/**
 * Appearance and terminal settings, applied as they are changed: every valid change shows at once and
 * goes to main; a value the schema refuses stays in its field with
 * the reason beside it.
 */
export function SettingsPanel({ onClose }: { readonly onClose: () => void }) {
  const current = useSettings();
  const update = useUpdateSettings();
  const [drafts, setDrafts] = useState<Partial<Record<TextSetting, string>>>({});
  const [problems, setProblems] = useState<Partial<Record<TextSetting, string>>>({});
  const [failure, setFailure] = useState<ShownError | undefined>();
  const id = useId();

  const save = (change: Partial<Settings>) => {
    setFailure(undefined);
    update(change).catch((error: unknown) => setFailure(shownError(error)));
  };

  const editText = (key: TextSetting, text: string) => {
    setDrafts((known) => ({ ...known, [key]: text }));
    const value = key === 'fontFamily' ? text : text.trim() === '' ? Number.NaN : Number(text);
    const checked = settingsChangeSchema.safeParse({ [key]: value });
    setProblems((known) => ({ ...known, [key]: checked.success ? undefined : checked.error.issues[0]?.message }));
    if (checked.success) save(checked.data);
  };

  const textField = (key: TextSetting, label: string, numeric: boolean) => {
    const controlId = `${id}-${key}`;
    const problem = problems[key];
    return (
      <div className="field">
        <label htmlFor={controlId}>{label}</label>
        <input
          id={controlId}
          type="text"
          inputMode={numeric ? 'numeric' : undefined}
          value={drafts[key] ?? String(current[key])}
          aria-invalid={problem === undefined ? undefined : true}
          aria-describedby={problem === undefined ? undefined : `${controlId}-problem`}
          onChange={(event) => editText(key, event.target.value)}
        />
        {problem === undefined ? null : (
          <p id={`${controlId}-problem`} className="problem">
            {problem}
          </p>
        )}
      </div>
    );
  };

  return (
    <Modal title="Settings" onDismiss={onClose}>
      <fieldset className="field-group">
        <legend>Theme</legend>
        {(['dark', 'light'] as const).map((theme) => (
          <label key={theme} className="radio">
            <input
              type="radio"
              name={`${id}-theme`}
              checked={current.theme === theme}
              onChange={() => save({ theme })}
            />
            {theme === 'dark' ? 'Dark' : 'Light'}
          </label>
        ))}
      </fieldset>
      {textField('fontFamily', 'Terminal font', false)}
      {textField('fontSize', 'Font size', true)}
      {textField('scrollback', 'Scrollback (lines)', true)}
      <div className="field checkbox">
        <input
          id={`${id}-copy`}
          type="checkbox"
          checked={current.copyOnSelect}
          onChange={(event) => save({ copyOnSelect: event.target.checked })}
        />
        <label htmlFor={`${id}-copy`}>Copy selected text automatically</label>
      </div>
      <p className="terminal-sample" aria-label="Font sample">
        PS C:\Users\alice&gt; Get-Date
      </p>
      <ErrorMessage error={failure} />
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
