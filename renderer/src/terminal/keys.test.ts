import { describe, expect, it } from 'vitest';
import { editorKeyFromKeyboardEvent, type KeyboardEventLike } from './keys';

const event = (key: string, modifiers: Partial<KeyboardEventLike> = {}): KeyboardEventLike => ({
  key,
  ctrlKey: false,
  altKey: false,
  shiftKey: false,
  metaKey: false,
  ...modifiers,
});

describe('editorKeyFromKeyboardEvent', () => {
  it('maps named keys with their modifiers', () => {
    expect(editorKeyFromKeyboardEvent(event('Enter', { shiftKey: true }))).toEqual({
      type: 'key',
      key: 'Enter',
      shift: true,
    });
    expect(editorKeyFromKeyboardEvent(event('ArrowLeft', { ctrlKey: true }))).toEqual({
      type: 'key',
      key: 'ArrowLeft',
      ctrl: true,
    });
    expect(editorKeyFromKeyboardEvent(event('Tab'))).toEqual({ type: 'key', key: 'Tab' });
  });

  it('maps Ctrl+letter, whatever the case', () => {
    expect(editorKeyFromKeyboardEvent(event('r', { ctrlKey: true }))).toEqual({ type: 'ctrl', letter: 'r' });
    expect(editorKeyFromKeyboardEvent(event('C', { ctrlKey: true, shiftKey: true }))).toEqual({
      type: 'ctrl',
      letter: 'c',
    });
  });

  it('leaves printable text, AltGr characters, Cmd shortcuts and unknown keys to the terminal', () => {
    expect(editorKeyFromKeyboardEvent(event('a'))).toBeUndefined();
    expect(editorKeyFromKeyboardEvent(event('@', { ctrlKey: true, altKey: true }))).toBeUndefined();
    expect(editorKeyFromKeyboardEvent(event('q', { ctrlKey: true, altKey: true }))).toBeUndefined();
    expect(editorKeyFromKeyboardEvent(event('c', { metaKey: true }))).toBeUndefined();
    expect(editorKeyFromKeyboardEvent(event('F5'))).toBeUndefined();
  });
});
