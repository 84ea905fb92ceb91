import type { ShellInfo, WSManFault } from '../wsman';
import type { WinRSCommand } from './command';

/** The signals a WinRS command takes besides terminate (which has its own action). */
export type WinRSSignal = 'ctrl_c' | 'ctrl_break';

/** The command operations a fault can answer. */
export type CommandOperation = 'Command' | 'Send' | 'Receive' | 'Signal';

export type WinRSEvent =
  | { readonly type: 'shellCreated'; readonly shellId: string; readonly shell: ShellInfo | undefined }
  /** Create was refused; the shell never existed. */
  | { readonly type: 'shellFailed'; readonly fault: WSManFault }
  /** Delete answered; with a fault when the server refused it (the shell is gone from our side either way). */
  | { readonly type: 'shellClosed'; readonly fault: WSManFault | undefined }
  | { readonly type: 'commandStarted'; readonly command: WinRSCommand; readonly commandId: string }
  | { readonly type: 'stdout' | 'stderr'; readonly command: WinRSCommand; readonly text: string }
  | { readonly type: 'exit'; readonly command: WinRSCommand; readonly exitCode: number }
  | { readonly type: 'signalAccepted'; readonly command: WinRSCommand; readonly signal: WinRSSignal }
  /** The terminate signal was answered: the server released the command. */
  | { readonly type: 'commandClosed'; readonly command: WinRSCommand }
  | {
      readonly type: 'commandFault';
      readonly command: WinRSCommand;
      readonly operation: CommandOperation;
      readonly fault: WSManFault;
    };
