/** The keys the line editor understands, normalized from browser keyboard events. */

export const NAMED_KEYS = [
  'Enter',
  'Backspace',
  'Delete',
  'ArrowLeft',
  'ArrowRight',
  'ArrowUp',
  'ArrowDown',
  'Home',
  'End',
  'Tab',
  'Escape',
] as const;
export type NamedKey = (typeof NAMED_KEYS)[number];

export type EditorKey =
  /** Printable text typed (one key, or an IME composition). */
  | { readonly type: 'text'; readonly text: string }
  /** Text pasted at once, possibly several lines. */
  | { readonly type: 'paste'; readonly text: string }
  | {
      readonly type: 'key';
      readonly key: NamedKey;
      readonly ctrl?: boolean;
      readonly shift?: boolean;
      readonly alt?: boolean;
    }
  /** Ctrl with a letter, lower case: Ctrl+A, Ctrl+C, Ctrl+R… */
  | { readonly type: 'ctrl'; readonly letter: string };

/** The fields of a DOM KeyboardEvent the mapping reads. */
export interface KeyboardEventLike {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly altKey: boolean;
  readonly shiftKey: boolean;
  readonly metaKey: boolean;
}

const namedKeys: ReadonlySet<string> = new Set(NAMED_KEYS);

/**
 * The editor key for a keyboard event, or undefined for keys the editor leaves to the terminal's own
 * text input (printable characters, dead keys and IME go through xterm's onData) or does not handle.
 * Ctrl+Alt is AltGr on Windows keyboards, so Ctrl+Alt+character is text, not a control key.
 */
export function editorKeyFromKeyboardEvent(event: KeyboardEventLike): EditorKey | undefined {
  if (event.metaKey) return undefined;
  if (namedKeys.has(event.key)) {
    return {
      type: 'key',
      key: event.key as NamedKey,
      ...(event.ctrlKey ? { ctrl: true } : {}),
      ...(event.shiftKey ? { shift: true } : {}),
      ...(event.altKey ? { alt: true } : {}),
    };
  }
  if (event.ctrlKey && !event.altKey && /^[a-z]$/i.test(event.key)) {
    return { type: 'ctrl', letter: event.key.toLowerCase() };
  }
  return undefined;
}
