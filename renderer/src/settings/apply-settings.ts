import type { Settings } from '../../../core/contract/settings-service';

/**
 * Puts the appearance settings on the document: the theme as `data-theme` (styles.css keys its colour
 * variables on it) and the terminal font as CSS variables the terminal view reads.
 */
export function applySettings(root: HTMLElement, settings: Settings): void {
  root.dataset['theme'] = settings.theme;
  root.style.setProperty('--terminal-font-family', settings.fontFamily);
  root.style.setProperty('--terminal-font-size', `${settings.fontSize}px`);
}
