import { useEffect, useRef } from 'react';

export interface MenuAction {
  readonly label: string;
  readonly run: () => void;
  readonly danger?: boolean;
}

/**
 * A context menu (the WAI-ARIA menu pattern): opens with the first item focused; arrows, Home and End
 * move, Enter or Space runs an item, Escape or Tab closes it, a pointer press outside closes it. The
 * owner gives focus back to where the menu was opened from in `onClose`.
 */
export function ActionMenu({
  label,
  actions,
  position,
  onClose,
}: {
  readonly label: string;
  readonly actions: readonly MenuAction[];
  readonly position: { readonly x: number; readonly y: number };
  readonly onClose: () => void;
}) {
  const menu = useRef<HTMLUListElement>(null);
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  });

  useEffect(() => {
    menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const closeOutside = (event: PointerEvent) => {
      if (!menu.current?.contains(event.target as Node)) close.current();
    };
    document.addEventListener('pointerdown', closeOutside);
    return () => document.removeEventListener('pointerdown', closeOutside);
  }, []);

  const onKeyDown = (event: React.KeyboardEvent<HTMLUListElement>) => {
    const items = [...event.currentTarget.querySelectorAll<HTMLElement>('[role="menuitem"]')];
    const index = items.indexOf(document.activeElement as HTMLElement);
    const move = (target: HTMLElement | undefined) => {
      event.preventDefault();
      target?.focus();
    };
    switch (event.key) {
      case 'ArrowDown':
        return move(items[(index + 1) % items.length]);
      case 'ArrowUp':
        return move(items[(index - 1 + items.length) % items.length]);
      case 'Home':
        return move(items[0]);
      case 'End':
        return move(items.at(-1));
      case 'Escape':
      case 'Tab':
        event.preventDefault();
        event.stopPropagation();
        return onClose();
    }
  };

  return (
    <ul
      ref={menu}
      role="menu"
      aria-label={label}
      className="action-menu"
      style={{ left: position.x, top: position.y }}
      onKeyDown={onKeyDown}
    >
      {actions.map((action) => (
        <li
          key={action.label}
          role="menuitem"
          tabIndex={-1}
          className={action.danger ? 'danger' : undefined}
          onClick={() => {
            onClose();
            action.run();
          }}
          onKeyDown={(event) => {
            if (event.key !== 'Enter' && event.key !== ' ') return;
            event.preventDefault();
            onClose();
            action.run();
          }}
        >
          {action.label}
        </li>
      ))}
    </ul>
  );
}
