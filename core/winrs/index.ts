/** The WinRS (cmd) shell and command state machines over WS-Management. Sans-IO. */
export { WinRSCommand, type CommandLine, type CommandStatus } from './command';
export type { CommandOperation, WinRSEvent, WinRSSignal } from './events';
export { StreamTextDecoder, encodingForCodePage } from './output-decoder';
export { WinRSShell, type RunOptions, type ShellStatus, type WinRSShellOptions } from './shell';
