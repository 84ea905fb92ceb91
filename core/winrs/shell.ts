import { UsageError } from '../errors';
import { StateMachine, type TransitionTable } from '../state-machine';
import {
  OptionName,
  ResourceUri,
  buildCreate,
  buildDelete,
  outcomeOf,
  type AnyWSManRequest,
  type ResourceTarget,
  type WSManContext,
  type WSManOption,
} from '../wsman';
import { WinRSCommand, type CommandHost } from './command';
import type { WinRSEvent } from './events';
import { encodingForCodePage } from './output-decoder';

/**
 * A WinRS (cmd) shell, sans-IO (DESIGN.md §3). Actions queue work; `dataToSend()` hands out the next
 * request that can go now (the driver may keep several outstanding, e.g. a long-polling Receive
 * beside a Signal); `receive(request, bytes)` takes the server's answer to one of them, HTTP 500
 * fault bodies included; `nextEvent()` yields what happened. WSManFaults become events (the Receive
 * timeout fault just means "poll again"); ProtocolErrors throw from `receive` and end the session.
 */
export type ShellStatus = 'idle' | 'opening' | 'open' | 'failed' | 'closing' | 'closed';

type ShellAction = 'open' | 'created' | 'createFailed' | 'run' | 'close' | 'closed';

const shellTable: TransitionTable<ShellStatus, ShellAction> = {
  open: { from: ['idle'], to: 'opening' },
  created: { from: ['opening'], to: 'open' },
  createFailed: { from: ['opening'], to: 'failed' },
  // Commands started while the shell is being created wait for it.
  run: { from: ['opening', 'open'], to: undefined },
  close: { from: ['open'], to: 'closing' },
  closed: { from: ['closing'], to: 'closed' },
};

export interface WinRSShellOptions {
  readonly context: WSManContext;
  /** A fresh GUID for each request's MessageID: ids are inputs of the core. */
  readonly newMessageId: () => string;
  /** The cmd shell unless given. */
  readonly resourceUri?: string;
  /** Environment variables of the shell, in order. */
  readonly environment?: readonly (readonly [name: string, value: string])[];
  readonly workingDirectory?: string;
  /** WINRS_CODEPAGE, 65001 (UTF-8) by default; `null` sends none and leaves the server's OEM code page. */
  readonly codePage?: number | null;
  /** WINRS_NOPROFILE: do not load the user profile (servers from 2012 on may ignore it). */
  readonly noProfile?: boolean;
  /** The shell's IdleTimeOut; the server's default (2 h) when absent. */
  readonly idleTimeoutMs?: number;
}

export interface RunOptions {
  /** Runs the executable directly instead of through `cmd.exe /c` (then it must be a full path or on PATH). */
  readonly skipCmdShell?: boolean;
  readonly consoleModeStdin?: boolean;
}

const DEFAULT_CODE_PAGE = 65001;

type Owner = 'shell' | WinRSCommand;

export class WinRSShell {
  readonly #machine = new StateMachine('WinRS shell', shellTable, 'idle');
  readonly #commands: WinRSCommand[] = [];
  readonly #outstanding = new Map<string, { readonly request: AnyWSManRequest; readonly owner: Owner }>();
  readonly #events: WinRSEvent[] = [];
  #createIssued = false;
  #deleteIssued = false;
  #target: ResourceTarget | undefined;
  #shellId: string | undefined;
  readonly #codePage: number | null;
  readonly #host: CommandHost;

  constructor(private readonly options: WinRSShellOptions) {
    this.#codePage = options.codePage === undefined ? DEFAULT_CODE_PAGE : options.codePage;
    this.#host = {
      context: options.context,
      outputEncoding: encodingForCodePage(this.#codePage),
      target: () => this.#requireTarget(),
      newMessageId: options.newMessageId,
      emit: (event) => this.#events.push(event),
    };
  }

  get state(): ShellStatus {
    return this.#machine.state;
  }

  /** The server's ShellId, once created. */
  get shellId(): string | undefined {
    return this.#shellId;
  }

  open(): void {
    this.#machine.transition('open');
  }

  /** Starts `command` with `args` (each one rsp:Arguments) once the shell exists. */
  run(command: string, args: readonly string[] = [], options: RunOptions = {}): WinRSCommand {
    this.#machine.transition('run');
    const commandLine = {
      command,
      arguments: args,
      skipCmdShell: options.skipCmdShell ?? false,
      consoleModeStdin: options.consoleModeStdin,
    };
    const created = new WinRSCommand(this.#host, commandLine);
    this.#commands.push(created);
    return created;
  }

  /** Deletes the shell, which ends its processes; its commands issue nothing more. */
  close(): void {
    this.#machine.transition('close');
    for (const command of this.#commands) command.abandon();
  }

  dataToSend(): AnyWSManRequest | undefined {
    const next = this.#nextRequest();
    if (next !== undefined) this.#outstanding.set(next.request.messageId, next);
    return next?.request;
  }

  receive(request: AnyWSManRequest, response: Uint8Array | string): void {
    const outstanding = this.#outstanding.get(request.messageId);
    if (outstanding?.request !== request) throw new UsageError('receive() takes the answer to an outstanding request');
    this.#outstanding.delete(request.messageId);
    if (outstanding.owner === 'shell') this.#receiveOwn(request, response);
    else outstanding.owner.receive(request, response);
  }

  nextEvent(): WinRSEvent | undefined {
    return this.#events.shift();
  }

  #nextRequest(): { request: AnyWSManRequest; owner: Owner } | undefined {
    const { context, newMessageId } = this.options;
    const resourceUri = this.options.resourceUri ?? ResourceUri.cmd;
    if (this.state === 'opening' && !this.#createIssued) {
      this.#createIssued = true;
      const shell = {
        inputStreams: ['stdin'],
        outputStreams: ['stdout', 'stderr'],
        environment: this.options.environment,
        idleTimeoutMs: this.options.idleTimeoutMs,
        workingDirectory: this.options.workingDirectory,
      };
      const request = buildCreate(context, newMessageId(), { resourceUri, shell, options: this.#createOptions() });
      return { request, owner: 'shell' };
    }
    if (this.state === 'closing' && !this.#deleteIssued) {
      this.#deleteIssued = true;
      return { request: buildDelete(context, newMessageId(), this.#requireTarget()), owner: 'shell' };
    }
    if (this.state !== 'open') return undefined;
    for (const command of this.#commands) {
      const request = command.nextRequest();
      if (request !== undefined) return { request, owner: command };
    }
    return undefined;
  }

  #createOptions(): WSManOption[] {
    const options: WSManOption[] = [];
    if (this.options.noProfile !== undefined) {
      options.push({ name: OptionName.noProfile, value: this.options.noProfile ? 'TRUE' : 'FALSE', mustComply: true });
    }
    if (this.#codePage !== null) options.push({ name: OptionName.codePage, value: String(this.#codePage) });
    return options;
  }

  #receiveOwn(request: AnyWSManRequest, response: Uint8Array | string): void {
    switch (request.operation) {
      case 'Create': {
        const outcome = outcomeOf(request, response);
        if (outcome.ok) {
          this.#machine.transition('created');
          this.#shellId = outcome.result.shellId;
          this.#target = {
            resourceUri: this.options.resourceUri ?? ResourceUri.cmd,
            selectors: outcome.result.selectors,
          };
          this.#events.push({ type: 'shellCreated', shellId: outcome.result.shellId, shell: outcome.result.shell });
        } else {
          this.#machine.transition('createFailed');
          for (const command of this.#commands) command.abandon();
          this.#events.push({ type: 'shellFailed', fault: outcome.fault });
        }
        return;
      }
      case 'Delete': {
        const outcome = outcomeOf(request, response);
        this.#machine.transition('closed');
        this.#events.push({ type: 'shellClosed', fault: outcome.ok ? undefined : outcome.fault });
        return;
      }
      default:
        throw new UsageError(`a WinRS shell issues no ${request.operation} request of its own`);
    }
  }

  #requireTarget(): ResourceTarget {
    if (this.#target === undefined) throw new UsageError('the shell has not been created');
    return this.#target;
  }
}
