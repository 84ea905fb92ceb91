import type { ITheme } from '@xterm/xterm';

/**
 * Terminal colours. Dark is Windows Terminal's "Campbell" scheme, the colours PowerShell users know
 * from Windows; light is a palette of the same hues dark enough to read on white (PowerShell's bold
 * yellow warnings included). xterm's minimum contrast ratio lifts any remaining low-contrast pair.
 */
export type TerminalThemeName = 'dark' | 'light';

export const TERMINAL_THEMES: Readonly<Record<TerminalThemeName, ITheme>> = {
  dark: {
    background: '#0c0c0c',
    foreground: '#cccccc',
    cursor: '#ffffff',
    cursorAccent: '#0c0c0c',
    selectionBackground: '#264f78',
    black: '#0c0c0c',
    red: '#c50f1f',
    green: '#13a10e',
    yellow: '#c19c00',
    blue: '#0037da',
    magenta: '#881798',
    cyan: '#3a96dd',
    white: '#cccccc',
    brightBlack: '#767676',
    brightRed: '#e74856',
    brightGreen: '#16c60c',
    brightYellow: '#f9f1a5',
    brightBlue: '#3b78ff',
    brightMagenta: '#b4009e',
    brightCyan: '#61d6d6',
    brightWhite: '#f2f2f2',
  },
  light: {
    background: '#ffffff',
    foreground: '#1f1f1f',
    cursor: '#1f1f1f',
    cursorAccent: '#ffffff',
    selectionBackground: '#add6ff',
    black: '#1f1f1f',
    red: '#b00015',
    green: '#0b7a0b',
    yellow: '#7a5c00',
    blue: '#0037da',
    magenta: '#7a1387',
    cyan: '#006b8f',
    white: '#5f5f5f',
    brightBlack: '#6b6b6b',
    brightRed: '#d0001c',
    brightGreen: '#107c10',
    brightYellow: '#8a6100',
    brightBlue: '#1a5fd6',
    brightMagenta: '#a0009a',
    brightCyan: '#00788a',
    brightWhite: '#000000',
  },
};

/** WCAG AA for normal text. */
export const MINIMUM_CONTRAST_RATIO = 4.5;
