/** Action, resource, signal and state URIs of WS-Management and WinRS (PROTOCOL.md §1.4, §1.5, §1.7). */

const transfer = 'http://schemas.xmlsoap.org/ws/2004/09/transfer';
const enumeration = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration';
const shell = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell';

export const Action = {
  Create: `${transfer}/Create`,
  Get: `${transfer}/Get`,
  Delete: `${transfer}/Delete`,
  Enumerate: `${enumeration}/Enumerate`,
  Pull: `${enumeration}/Pull`,
  Command: `${shell}/Command`,
  Send: `${shell}/Send`,
  Receive: `${shell}/Receive`,
  Signal: `${shell}/Signal`,
  Connect: `${shell}/Connect`,
  Disconnect: `${shell}/Disconnect`,
  Reconnect: `${shell}/Reconnect`,
} as const;

/** The operations of PROTOCOL.md §1 this module builds requests for and parses responses of. */
export type WSManOperation = keyof typeof Action;

/** Every response action is the request action with `Response` appended. */
export function responseActionOf(operation: WSManOperation): string {
  return `${Action[operation]}Response`;
}

/** Actions a fault response may carry: the WS-Management one and the WS-Addressing one (bad headers). */
export const FaultAction = {
  wsman: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
  addressing: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault',
} as const;

export const ResourceUri = {
  /** The WinRS cmd shell. */
  cmd: `${shell}/cmd`,
  /** Shell enumeration and the is-alive Get. */
  shell,
  /** Command enumeration of one shell (with a ShellId selector filter). */
  shellCommand: `${shell}/Command`,
  config: 'http://schemas.microsoft.com/wbem/wsman/1/config',
  /** The default PowerShell session configuration. */
  powerShell: 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell',
} as const;

/** The resource URI of a named PowerShell session configuration (JEA endpoints, `PowerShell.7`, ...). */
export function powerShellResourceUri(configurationName: string): string {
  return `http://schemas.microsoft.com/powershell/${configurationName}`;
}

export const SignalCode = {
  /** Closes a command and releases it (MS-WSMV spells it in lower case; Windows also takes `Terminate`). */
  terminate: `${shell}/signal/terminate`,
  ctrlC: `${shell}/signal/ctrl_c`,
  ctrlBreak: `${shell}/signal/ctrl_break`,
  /** Stops a PSRP pipeline. The misspelling `crtl` is what the server compares against (PROTOCOL.md §1.7). */
  powerShellStop: 'powershell/signal/crtl_c',
} as const;

export const CommandStateUri = {
  Done: `${shell}/CommandState/Done`,
  Pending: `${shell}/CommandState/Pending`,
  Running: `${shell}/CommandState/Running`,
} as const;

export type CommandState = keyof typeof CommandStateUri;

export const ANONYMOUS_ADDRESS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';

export const SELECTOR_FILTER_DIALECT = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter';

/** OptionSet option names in use (PROTOCOL.md §1.6). */
export const OptionName = {
  noProfile: 'WINRS_NOPROFILE',
  codePage: 'WINRS_CODEPAGE',
  consoleModeStdin: 'WINRS_CONSOLEMODE_STDIN',
  skipCmdShell: 'WINRS_SKIP_CMD_SHELL',
  protocolVersion: 'protocolversion',
  keepAlive: 'WSMAN_CMDSHELL_OPTION_KEEPALIVE',
} as const;
