/** A key that acts on the session tabs from anywhere in the app (the terminal included). */
export type TabShortcut =
  { readonly kind: 'cycle'; readonly step: 1 | -1 } | { readonly kind: 'move'; readonly by: 1 | -1 };

type Keys = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'shiftKey' | 'altKey' | 'metaKey'>;

/**
 * The tab shortcuts. Ctrl+Tab and Ctrl+Shift+PageUp/PageDown are those of Windows Terminal and Tabby, but a
 * browser keeps them for its own tabs (when the app runs in one through the web bridge), so each has a
 * twin that reaches a page: Alt+PageUp/PageDown and Alt+Shift+PageUp/PageDown.
 */
export function tabShortcut({ key, ctrlKey, shiftKey, altKey, metaKey }: Keys): TabShortcut | undefined {
  if (metaKey) return undefined;
  const page = key === 'PageDown' ? 1 : key === 'PageUp' ? -1 : undefined;
  if (ctrlKey && !altKey && key === 'Tab') return { kind: 'cycle', step: shiftKey ? -1 : 1 };
  if (page === undefined || ctrlKey === altKey) return undefined;
  return shiftKey ? { kind: 'move', by: page } : altKey ? { kind: 'cycle', step: page } : undefined;
}

/** For the tabs' tooltips. */
export const TAB_SHORTCUTS_HELP =
  'Ctrl+Tab or Alt+PageDown: next tab · Ctrl+Shift+Tab or Alt+PageUp: previous tab · ' +
  'Ctrl+Shift+PageUp/PageDown or Alt+Shift+PageUp/PageDown: move the tab · ' +
  'F2 or double-click: rename · Delete: close';
