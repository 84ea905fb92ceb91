import type { ReactNode } from 'react';
import { useId, useRef } from 'react';
import { Modal } from './Modal';

/** "Delete web01?": the safe choice (Cancel) has the focus, so Enter alone never destroys anything. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  readonly title: string;
  readonly children: ReactNode;
  readonly confirmLabel: string;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}) {
  const cancel = useRef<HTMLButtonElement>(null);
  const descriptionId = useId();
  return (
    <Modal title={title} onDismiss={onCancel} initialFocus={cancel} role="alertdialog" describedBy={descriptionId}>
      <div id={descriptionId}>{children}</div>
      <div className="dialog-actions">
        <button type="button" ref={cancel} onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
