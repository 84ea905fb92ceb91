import { describe, expect, it } from 'vitest';
import {
  CONSOLE_COLORS,
  consoleColor,
  consoleColorSgr,
  formatError,
  formatHostWrite,
  formatInformation,
  formatStreamMessage,
  toTerminalLines,
} from './streams';

// The expected strings are what pwsh 7.6.9 writes to a terminal for the same calls
// (`Write-Warning hi`, `Write-Error e`…), with CR LF line ends.
describe('stream colouring', () => {
  it('warning, verbose and debug records carry their prefix in $PSStyle yellow', () => {
    expect(formatStreamMessage('warning', 'hi')).toBe('\x1b[33;1mWARNING: hi\x1b[0m\r\n');
    expect(formatStreamMessage('verbose', 'v')).toBe('\x1b[33;1mVERBOSE: v\x1b[0m\r\n');
    expect(formatStreamMessage('debug', 'd')).toBe('\x1b[33;1mDEBUG: d\x1b[0m\r\n');
  });

  it('styles each line of a multi-line message on its own', () => {
    expect(formatStreamMessage('warning', 'one\ntwo')).toBe(
      '\x1b[33;1mWARNING: one\x1b[0m\r\n\x1b[33;1mtwo\x1b[0m\r\n',
    );
  });

  it('errors are red, behind the command that raised them', () => {
    expect(formatError('e', 'Write-Error')).toBe('\x1b[31;1mWrite-Error: \x1b[31;1me\x1b[0m\r\n');
    expect(formatError('Cannot find path.\nSecond line')).toBe(
      '\x1b[31;1mCannot find path.\x1b[0m\r\n\x1b[31;1mSecond line\x1b[0m\r\n',
    );
  });

  it('information records are plain text', () => {
    expect(formatInformation('info')).toBe('info\r\n');
    expect(formatInformation('a\nb')).toBe('a\r\nb\r\n');
  });

  it('converts line breaks for the terminal without doubling CR LF', () => {
    expect(toTerminalLines('a\nb\r\nc')).toBe('a\r\nb\r\nc');
  });
});

describe('Write-Host colours', () => {
  it('maps the 16 ConsoleColors to the ANSI colours PowerShell uses for VT hosts', () => {
    const foregrounds = CONSOLE_COLORS.map((color) => consoleColorSgr(color, 'foreground'));
    expect(foregrounds).toEqual(
      [30, 34, 32, 36, 31, 35, 33, 37, 90, 94, 92, 96, 91, 95, 93, 97].map((code) => `\x1b[${code}m`),
    );
    expect(consoleColorSgr('DarkBlue', 'background')).toBe('\x1b[44m');
    expect(consoleColorSgr('White', 'background')).toBe('\x1b[107m');
  });

  it('reads colours by name or by value; -1 (unset in PSRP) is no colour', () => {
    expect(consoleColor(12)).toBe('Red');
    expect(consoleColor('darkyellow')).toBe('DarkYellow');
    expect(consoleColor(-1)).toBeUndefined();
    expect(consoleColor('Purple')).toBeUndefined();
  });

  it('writes foreground and background, with or without a line break', () => {
    expect(formatHostWrite({ text: 'red', foreground: 'Red', background: 'DarkBlue' })).toBe(
      '\x1b[91m\x1b[44mred\x1b[0m\r\n',
    );
    expect(formatHostWrite({ text: 'plain', noNewline: true })).toBe('plain');
    expect(formatHostWrite({ text: 'a\nb', foreground: 'Green' })).toBe('\x1b[92ma\x1b[0m\r\n\x1b[92mb\x1b[0m\r\n');
  });
});
