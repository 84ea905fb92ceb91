import { SGR_RESET } from './vt';

/**
 * PowerShell's output streams as VT text, the way PowerShell 7's console host writes them with its
 * default $PSStyle: errors in `$PSStyle.Formatting.Error`, warnings, verbose and debug messages in their
 * styles behind `WARNING: `, `VERBOSE: `, `DEBUG: `, information as plain text, and Write-Host colours
 * (System.ConsoleColor) as SGR colours.
 */

/** The defaults of PowerShell 7's $PSStyle.Formatting (checked against pwsh 7.6). */
export const PS_STYLE = {
  error: '\x1b[31;1m',
  errorAccent: '\x1b[36;1m',
  warning: '\x1b[33;1m',
  verbose: '\x1b[33;1m',
  debug: '\x1b[33;1m',
  /** $PSStyle.Progress.Style. */
  progress: '\x1b[33;1m',
  reset: SGR_RESET,
} as const;

/** System.ConsoleColor, by value. */
export const CONSOLE_COLORS = [
  'Black',
  'DarkBlue',
  'DarkGreen',
  'DarkCyan',
  'DarkRed',
  'DarkMagenta',
  'DarkYellow',
  'Gray',
  'DarkGray',
  'Blue',
  'Green',
  'Cyan',
  'Red',
  'Magenta',
  'Yellow',
  'White',
] as const;
export type ConsoleColor = (typeof CONSOLE_COLORS)[number];

/**
 * SGR foreground colour of each ConsoleColor, as PowerShell maps them for VT terminals: the dark eight
 * are the standard ANSI colours (30–37), the bright eight the bright ones (90–97); backgrounds add 10.
 */
const FOREGROUND_SGR: Readonly<Record<ConsoleColor, number>> = {
  Black: 30,
  DarkRed: 31,
  DarkGreen: 32,
  DarkYellow: 33,
  DarkBlue: 34,
  DarkMagenta: 35,
  DarkCyan: 36,
  Gray: 37,
  DarkGray: 90,
  Red: 91,
  Green: 92,
  Yellow: 93,
  Blue: 94,
  Magenta: 95,
  Cyan: 96,
  White: 97,
};

/** A ConsoleColor from its name or its numeric value; undefined for anything else (PSRP sends -1 for "unset"). */
export function consoleColor(value: string | number | undefined): ConsoleColor | undefined {
  if (typeof value === 'number') return CONSOLE_COLORS[value];
  return CONSOLE_COLORS.find((name) => name.toLowerCase() === value?.toLowerCase());
}

export function consoleColorSgr(color: ConsoleColor, layer: 'foreground' | 'background'): string {
  return `\x1b[${FOREGROUND_SGR[color] + (layer === 'background' ? 10 : 0)}m`;
}

/** Line breaks for the terminal: xterm needs CR LF to return to the first column. */
export function toTerminalLines(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** `text` in `style`, each line styled on its own so a line redrawn alone keeps its colour. */
function styled(style: string, text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => `${style}${line}${SGR_RESET}`)
    .join('\r\n');
}

export type MessageStream = 'warning' | 'verbose' | 'debug';

const STREAM_PREFIX: Readonly<Record<MessageStream, string>> = {
  warning: 'WARNING: ',
  verbose: 'VERBOSE: ',
  debug: 'DEBUG: ',
};

/** A warning, verbose or debug record as its line(s): `WARNING: message` in the stream's style. */
export function formatStreamMessage(stream: MessageStream, message: string): string {
  return `${styled(PS_STYLE[stream], STREAM_PREFIX[stream] + message)}\r\n`;
}

/**
 * An error record, concise view: `Command: message` when the error comes from a command (as
 * `Write-Error: boom`), the bare message otherwise.
 */
export function formatError(message: string, commandName?: string): string {
  const prefix = commandName ? `${PS_STYLE.error}${commandName}: ` : '';
  const [first = '', ...rest] = message.split(/\r?\n/);
  const lines = [`${prefix}${PS_STYLE.error}${first}${SGR_RESET}`, ...rest.map((line) => styled(PS_STYLE.error, line))];
  return `${lines.join('\r\n')}\r\n`;
}

/** An information record (Write-Information): its message as is. */
export function formatInformation(message: string): string {
  return `${toTerminalLines(message)}\r\n`;
}

export interface HostWrite {
  readonly text: string;
  readonly foreground?: ConsoleColor;
  readonly background?: ConsoleColor;
  /** Write-Host -NoNewline, or the host's Write (not WriteLine). */
  readonly noNewline?: boolean;
}

/** Write-Host / $Host.UI.Write(Line) with optional colours. */
export function formatHostWrite(write: HostWrite): string {
  const colours =
    (write.foreground ? consoleColorSgr(write.foreground, 'foreground') : '') +
    (write.background ? consoleColorSgr(write.background, 'background') : '');
  const body = colours ? styled(colours, write.text) : toTerminalLines(write.text);
  return write.noNewline ? body : `${body}\r\n`;
}
