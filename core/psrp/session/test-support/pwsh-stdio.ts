/**
 * Test-only driver that runs a RunspacePool against real PowerShell over its out-of-process
 * transport (`pwsh -s`, PROTOCOL.md §13): fragments travel as `<Data Stream=… PSGuid=…>base64</Data>`
 * lines, each acknowledged before the next for the same GUID; a pipeline starts with `<Command>`,
 * stops with `<Signal>` and is released with `<Close>`; the pool closes with `<Close>` of the nil GUID.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PSValue } from '../../clixml';
import { NIL_GUID, randomGuid } from '../../guid';
import type { PipelineState, PoolOutgoing, RunspacePoolEvent } from '../events';
import type { HostCall } from '../host';
import type { PipelineSpec } from '../messages/pipeline';
import type { ErrorRecordInfo } from '../messages/records';
import type { OutgoingValue } from '../messages/values';
import type { RunspacePool } from '../runspace-pool';
import { randomBytes } from 'node:crypto';

export const PWSH = process.env.PWSH ?? join(homedir(), '.dotnet/tools/pwsh');

/**
 * pwsh -s treats the end of stdin as a dead client and calls Environment.Exit(4000), even after a
 * clean pool close; on Linux the status is that code's low byte.
 */
export const PWSH_EXIT_AFTER_EOF = 4000 & 0xff;

const DATA_LINE = /^<Data Stream='(\w+)' PSGuid='([0-9a-fA-F-]{36})'>([A-Za-z0-9+/=]*)<\/Data>$/;
const ACK_LINE = /^<(DataAck|CommandAck|SignalAck|CloseAck) PSGuid='([0-9a-fA-F-]{36})' \/>$/;

/** Everything one pipeline reported, in order. */
export interface PipelineRun {
  readonly pipelineId: string;
  readonly events: RunspacePoolEvent[];
  readonly output: PSValue[];
  readonly errors: ErrorRecordInfo[];
  readonly state: PipelineState;
  readonly failure: ErrorRecordInfo | undefined;
}

export class PwshStdioDriver {
  readonly stderr: string[] = [];
  readonly events: RunspacePoolEvent[] = [];
  readonly #process: ChildProcessWithoutNullStreams;
  readonly #acks = new Map<string, Array<() => void>>();
  /** One chain of transport steps per GUID: a step waits for the previous step's acknowledgement. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #listeners = new Set<(event: RunspacePoolEvent) => void>();
  #buffer = '';
  #failure: Error | undefined;
  readonly #exited: Promise<number | null>;

  private constructor(readonly pool: RunspacePool) {
    this.#process = spawn(PWSH, ['-s', '-NoLogo', '-NoProfile'], { stdio: 'pipe' });
    this.#process.stdout.setEncoding('utf8');
    this.#process.stdout.on('data', (chunk: string) => this.#read(chunk));
    this.#process.stderr.setEncoding('utf8');
    this.#process.stderr.on('data', (chunk: string) => this.stderr.push(chunk));
    this.#process.stdin.on('error', () => undefined);
    this.#exited = new Promise((resolve) => this.#process.on('exit', (code) => resolve(code)));
  }

  /** Spawns pwsh, opens the pool and waits until it is Opened. */
  static async open(pool: RunspacePool): Promise<PwshStdioDriver> {
    const driver = new PwshStdioDriver(pool);
    pool.open();
    driver.flush();
    await driver.waitFor((event) => event.type === 'stateChanged' && event.state === 'Opened', 30_000);
    return driver;
  }

  /** Hands the pool's outgoing items to the transport. */
  flush(): void {
    for (const item of this.pool.dataToSend()) {
      const guid = guidOf(item);
      const previous = this.#chains.get(guid) ?? Promise.resolve();
      const next = previous.then(() => this.#perform(item)).catch((error: unknown) => this.#fail(error));
      this.#chains.set(guid, next);
    }
  }

  on(listener: (event: RunspacePoolEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first event (already seen or future) that matches. */
  waitFor(predicate: (event: RunspacePoolEvent) => boolean, timeoutMs = 20_000): Promise<RunspacePoolEvent> {
    const seen = this.events.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms; stderr: ${this.stderr.join('')}`));
      }, timeoutMs);
      const off = this.on((event) => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        off();
        resolve(event);
      });
    });
  }

  /**
   * Runs a pipeline to its end: sends `input` (if any), answers host calls with `onHostCall`
   * (calls it leaves unanswered are declined) and collects the pipeline's events.
   */
  async run(
    spec: PipelineSpec,
    options: {
      readonly input?: readonly OutgoingValue[];
      readonly onHostCall?: (call: HostCall, pool: RunspacePool) => boolean;
      readonly whenRunning?: (pipelineId: string) => void;
      readonly timeoutMs?: number;
    } = {},
  ): Promise<PipelineRun> {
    const pipelineId = randomGuid((length) => new Uint8Array(randomBytes(length)));
    const events: RunspacePoolEvent[] = [];
    const off = this.on((event) => {
      if (
        !('pipelineId' in event
          ? event.pipelineId === pipelineId
          : event.type === 'hostCall' && event.call.pipelineId === pipelineId)
      ) {
        return;
      }
      events.push(event);
      if (event.type === 'hostCall' && event.call.expectsAnswer) {
        const answered = options.onHostCall?.(event.call, this.pool) ?? false;
        if (!answered) this.pool.declineHostCall(event.call);
        this.flush();
      }
    });
    try {
      const pipeline = this.pool.createPipeline(
        options.input === undefined ? spec : { ...spec, noInput: false },
        pipelineId,
      );
      pipeline.invoke();
      if (options.input !== undefined) {
        pipeline.sendInput(...options.input);
        pipeline.endInput();
      }
      this.flush();
      options.whenRunning?.(pipelineId);
      const end = await this.waitFor(
        (event) =>
          event.type === 'pipelineStateChanged' &&
          event.pipelineId === pipelineId &&
          ['Completed', 'Failed', 'Stopped'].includes(event.state),
        options.timeoutMs,
      );
      if (end.type !== 'pipelineStateChanged') throw new Error('unreachable');
      this.flush();
      return {
        pipelineId,
        events,
        output: events.flatMap((e) => (e.type === 'output' ? [e.value] : [])),
        errors: events.flatMap((e) => (e.type === 'errorRecord' ? [e.record] : [])),
        state: end.state,
        failure: end.error,
      };
    } finally {
      off();
    }
  }

  /** Closes the pool (its pipelines first) and waits for pwsh to exit; resolves with the exit code. */
  async close(): Promise<number | null> {
    if (this.pool.state !== 'Closed') {
      this.pool.close();
      this.flush();
      await this.waitFor((event) => event.type === 'stateChanged' && event.state === 'Closed', 20_000);
    }
    await Promise.all(this.#chains.values());
    this.#process.stdin.end();
    return this.#exited;
  }

  /** Kills pwsh if a test left it running. */
  kill(): void {
    if (this.#process.exitCode === null) this.#process.kill();
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  async #perform(item: PoolOutgoing): Promise<void> {
    const guid = guidOf(item);
    switch (item.kind) {
      case 'data': {
        if (item.carrier === 'command') await this.#exchange(`<Command PSGuid='${guid}' />`, 'CommandAck', guid);
        const stream = item.stream === 'pr' ? 'PromptResponse' : 'Default';
        const base64 = Buffer.from(item.bytes).toString('base64');
        await this.#exchange(`<Data Stream='${stream}' PSGuid='${guid}'>${base64}</Data>`, 'DataAck', guid);
        return;
      }
      case 'stopPipeline':
        await this.#exchange(`<Signal PSGuid='${guid}' />`, 'SignalAck', guid);
        return;
      case 'closePipeline':
        await this.#exchange(`<Close PSGuid='${guid}' />`, 'CloseAck', guid);
        return;
      case 'closePool':
        await Promise.all([...this.#chains].filter(([key]) => key !== NIL_GUID).map(([, chain]) => chain));
        await this.#exchange(`<Close PSGuid='${guid}' />`, 'CloseAck', guid);
        this.pool.transportClosed();
        this.#drainEvents();
        return;
      default:
        throw new Error(`the stdio transport has no ${item.kind}`);
    }
  }

  #exchange(line: string, ack: string, guid: string): Promise<void> {
    return new Promise((resolve) => {
      const key = `${ack} ${guid}`;
      const waiting = this.#acks.get(key) ?? [];
      waiting.push(resolve);
      this.#acks.set(key, waiting);
      this.#process.stdin.write(`${line}\n`);
    });
  }

  #read(chunk: string): void {
    this.#buffer += chunk;
    for (let newline = this.#buffer.indexOf('\n'); newline !== -1; newline = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, newline).trim();
      this.#buffer = this.#buffer.slice(newline + 1);
      if (line !== '') this.#line(line);
    }
  }

  #line(line: string): void {
    try {
      const data = DATA_LINE.exec(line);
      if (data !== null) {
        const guid = (data[2] ?? '').toLowerCase();
        this.pool.receive(Buffer.from(data[3] ?? '', 'base64'), guid === NIL_GUID ? undefined : guid);
        this.#drainEvents();
        this.flush();
        return;
      }
      const ack = ACK_LINE.exec(line);
      if (ack === null) throw new Error(`unexpected line from pwsh: ${line}`);
      const key = `${ack[1]} ${(ack[2] ?? '').toLowerCase()}`;
      this.#acks.get(key)?.shift()?.();
    } catch (error) {
      this.#fail(error);
    }
  }

  #drainEvents(): void {
    for (let event = this.pool.nextEvent(); event !== undefined; event = this.pool.nextEvent()) {
      this.events.push(event);
      for (const listener of [...this.#listeners]) listener(event);
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= error instanceof Error ? error : new Error(String(error));
    this.stderr.push(`driver: ${this.#failure.message}\n`);
  }
}

function guidOf(item: PoolOutgoing): string {
  return 'pipelineId' in item && item.pipelineId !== undefined ? item.pipelineId : NIL_GUID;
}
