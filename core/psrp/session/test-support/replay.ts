/**
 * Test-only: the recorded Windows exchanges (captures/windows, pypsrp, MIT) cut into what a
 * runspace-pool replay needs — per exchange the WS-Man operation, the PSRP messages the client sent
 * and the server payloads to feed back — and a structural view of CLIXML for comparing messages.
 */
import { execFileSync } from 'node:child_process';
import { deserializeClixml, isPrimitive, PSObject, type PSValue } from '../../clixml';
import { Defragmenter } from '../../defragmenter';
import { parseGuid } from '../../guid';
import { decodeMessage, messageTypeName, type PsrpMessage } from '../../message';
import { CAPTURE_DIRECTORY, loadCaptures, psrpPayloads, type CaptureExchange } from '../../test-support/captures';
import type { PoolOutgoing } from '../events';

let cache: ReadonlyMap<string, readonly CaptureExchange[]> | undefined;

/** Every capture file, loaded once per test process. */
export function captureFiles(): ReadonlyMap<string, readonly CaptureExchange[]> {
  cache ??= loadCaptures(
    (script, args) =>
      execFileSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }),
    CAPTURE_DIRECTORY,
  );
  return cache;
}

export interface ReplayExchange {
  readonly index: number;
  /** The WS-Man operation: Create, Receive, Command, Send, Signal, Delete, Connect, Disconnect… */
  readonly operation: string;
  /** The last segment of a Signal's code (terminate, crtl_c…). */
  readonly signal: string | undefined;
  /** The request's CommandId, lower case. */
  readonly commandId: string | undefined;
  /** The request's ShellId, upper case as sent. */
  readonly shellId: string | undefined;
  /** PSRP messages the client completed in this request. */
  readonly toServer: readonly PsrpMessage[];
  /** Server payloads (rsp:Stream, connectResponseXml) in response order. */
  readonly toClient: readonly Uint8Array[];
}

const ACTION = /Action[^>]*>([^<]+)</;
const SIGNAL_CODE = /<rsp:Signal[^>]*>\s*<rsp:Code>([^<]+)</;
const COMMAND_ID = /CommandId="([^"]+)"/;
const SHELL_ID = /ShellId="([^"]+)"|Name="ShellId">([^<]+)</;

export function replayExchanges(file: string): ReplayExchange[] {
  const exchanges = captureFiles().get(file);
  if (exchanges === undefined) throw new Error(`no capture ${file}`);
  const payloads = psrpPayloads(file, exchanges);
  const defragmenters = new Map<string, Defragmenter>();
  return exchanges.map((exchange, index) => {
    const shellMatch = SHELL_ID.exec(exchange.request);
    const toServer: PsrpMessage[] = [];
    const toClient: Uint8Array[] = [];
    for (const payload of payloads.filter((p) => p.exchange === index)) {
      if (payload.direction === 'toClient') {
        toClient.push(payload.bytes);
        continue;
      }
      let defragmenter = defragmenters.get(payload.shellId);
      if (defragmenter === undefined) {
        defragmenter = new Defragmenter();
        defragmenters.set(payload.shellId, defragmenter);
      }
      toServer.push(...defragmenter.push(payload.bytes).map((m) => decodeMessage(m.data)));
    }
    const commandId = COMMAND_ID.exec(exchange.request)?.[1];
    return {
      index,
      operation: ACTION.exec(exchange.request)?.[1]?.split('/').pop() ?? '',
      signal: SIGNAL_CODE.exec(exchange.request)?.[1]?.split('/').pop(),
      commandId: commandId === undefined ? undefined : parseGuid(commandId),
      shellId: shellMatch?.[1] ?? shellMatch?.[2],
      toServer,
      toClient,
    };
  });
}

/**
 * The shape of a CLIXML value for comparisons "modulo RefIds": references are followed, property
 * bags become sorted objects, and an enum is its type and number (pypsrp and .NET word some
 * enum texts differently, e.g. `UNKNOWN` for ApartmentState.Unknown).
 */
export function clixmlShape(xml: string): unknown {
  return xml === '' ? '' : shapeOf(deserializeClixml(xml));
}

function shapeOf(value: PSValue): unknown {
  if (value === null) return null;
  if (isPrimitive(value)) {
    const inner = value.value;
    if (inner instanceof Uint8Array) return { [value.kind]: Buffer.from(inner).toString('hex') };
    return { [value.kind]: typeof inner === 'object' ? (JSON.stringify(inner) ?? String(inner)) : String(inner) };
  }
  if (value.typeNames.includes('System.Enum') && isPrimitive(value.value)) {
    return { enum: value.typeNames[0], value: String(value.value.value) };
  }
  const bag = (properties: ReadonlyMap<string, PSValue>): Record<string, unknown> =>
    Object.fromEntries([...properties].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, shapeOf(v)]));
  const base = value.value;
  let shapeOfBase: unknown;
  if (base === undefined) shapeOfBase = undefined;
  else if (base.kind === 'BaseObject') shapeOfBase = shapeOf(base.object);
  else if (base.kind === 'Dictionary') shapeOfBase = base.entries.map((e) => [shapeOf(e.key), shapeOf(e.value)]);
  else if ('items' in base) shapeOfBase = { [base.kind]: base.items.map(shapeOf) };
  else shapeOfBase = shapeOf(base);
  return {
    types: value.typeNames,
    toString: value.toStringText,
    base: shapeOfBase,
    adapted: bag(value.adaptedProperties),
    extended: bag(value.extendedProperties),
  };
}

/** A message as "TYPE shape", for readable comparisons. */
export function messageShape(message: PsrpMessage): { type: string; pipeline: boolean; body: unknown } {
  return {
    type: messageTypeName(message.messageType),
    pipeline: !/^0{8}-/.test(message.pipelineId),
    body: clixmlShape(message.data),
  };
}

/** Reassembles the PSRP messages of a client's outgoing payloads (one pool's fragments). */
export class OutgoingDecoder {
  readonly #defragmenter = new Defragmenter();

  decode(outgoing: readonly PoolOutgoing[]): PsrpMessage[] {
    return outgoing.flatMap((item) =>
      item.kind === 'data' ? this.#defragmenter.push(item.bytes).map((m) => decodeMessage(m.data)) : [],
    );
  }
}

/** Reads a value at a path of property names, for assertions. */
export function propertyAt(value: PSValue | undefined, ...path: string[]): PSValue | undefined {
  return path.reduce<PSValue | undefined>(
    (current, name) => (current instanceof PSObject ? current.property(name) : undefined),
    value,
  );
}
