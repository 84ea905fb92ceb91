import type { ReactNode } from 'react';
import { useEffect, useId, useLayoutEffect, useRef } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

export interface ModalProps {
  readonly title: string;
  /** Escape, the close button or the owner: the dialog is unmounted by its owner. */
  readonly onDismiss: () => void;
  readonly children: ReactNode;
  /** `danger`: a loud warning (a pinned certificate that changed). */
  readonly tone?: 'normal' | 'danger';
  /** The element focused when the dialog opens (else the first focusable one). */
  readonly initialFocus?: React.RefObject<HTMLElement | null>;
  readonly role?: 'dialog' | 'alertdialog';
  /** The id of the element that describes the dialog. */
  readonly describedBy?: string;
}

/**
 * A modal dialog on the native `<dialog>` (the page behind it is inert), with focus kept inside by Tab
 * and Shift+Tab, Escape calling `onDismiss`, and focus given back on close to what had it before, when
 * that is still on the page.
 */
export function Modal({ title, onDismiss, children, tone = 'normal', initialFocus, role, describedBy }: ModalProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const dismiss = useRef(onDismiss);
  useEffect(() => {
    dismiss.current = onDismiss;
  });

  useLayoutEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!element.open) element.showModal();
    const first = initialFocus?.current ?? element.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    const onCancel = (event: Event) => {
      event.preventDefault();
      dismiss.current();
    };
    element.addEventListener('cancel', onCancel);
    return () => {
      element.removeEventListener('cancel', onCancel);
      element.close();
      if (previous?.isConnected) previous.focus();
    };
    // Opening is a mount-time effect; the initial focus target is read once.
  }, []);

  const keepFocusInside = (event: React.KeyboardEvent<HTMLDialogElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      dismiss.current();
      return;
    }
    if (event.key !== 'Tab') return;
    const focusable = [...event.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (element) => element.offsetParent !== null || element === document.activeElement,
    );
    const first = focusable[0];
    const last = focusable.at(-1);
    if (first === undefined || last === undefined) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={dialog}
      className={`modal modal-${tone}`}
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      role={role}
      onKeyDown={keepFocusInside}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}
