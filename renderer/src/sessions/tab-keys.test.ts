import { describe, expect, it } from 'vitest';
import { tabShortcut } from './tab-keys';

const press = (combination: string) => {
  const parts = combination.split('+');
  const key = parts.at(-1) ?? '';
  return tabShortcut({
    key,
    ctrlKey: parts.includes('Ctrl'),
    shiftKey: parts.includes('Shift'),
    altKey: parts.includes('Alt'),
    metaKey: parts.includes('Meta'),
  });
};

describe('tabShortcut', () => {
  it('switches tabs with Ctrl+Tab and, where a browser keeps that, Alt+PageUp/PageDown', () => {
    expect(press('Ctrl+Tab')).toEqual({ kind: 'cycle', step: 1 });
    expect(press('Ctrl+Shift+Tab')).toEqual({ kind: 'cycle', step: -1 });
    expect(press('Alt+PageDown')).toEqual({ kind: 'cycle', step: 1 });
    expect(press('Alt+PageUp')).toEqual({ kind: 'cycle', step: -1 });
  });

  it('moves the tab with Ctrl+Shift+PageUp/PageDown and Alt+Shift+PageUp/PageDown', () => {
    expect(press('Ctrl+Shift+PageDown')).toEqual({ kind: 'move', by: 1 });
    expect(press('Ctrl+Shift+PageUp')).toEqual({ kind: 'move', by: -1 });
    expect(press('Alt+Shift+PageDown')).toEqual({ kind: 'move', by: 1 });
    expect(press('Alt+Shift+PageUp')).toEqual({ kind: 'move', by: -1 });
  });

  it('leaves every other key to the terminal and the browser', () => {
    for (const combination of ['Tab', 'Shift+Tab', 'PageDown', 'Shift+PageUp', 'Ctrl+PageDown', 'Ctrl+Alt+PageUp']) {
      expect(press(combination)).toBeUndefined();
    }
    expect(press('Meta+Ctrl+Tab')).toBeUndefined();
    expect(press('Ctrl+Alt+Tab')).toBeUndefined();
  });
});
