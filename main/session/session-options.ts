import { randomUUID } from 'node:crypto';
import type { WSManContext } from '../../core/wsman';
import type { WinRMTransportOptions } from '../transport';
import { TransportLanes, type TransportOpener } from './transport-lanes';

/** What every session kind needs to reach its host. */
export interface SessionConnectionOptions {
  /** The settings of every connection of the session (each authenticates with a fresh context). */
  readonly transport: WinRMTransportOptions;
  /** wsman:MaxEnvelopeSize in bytes; 153600 (150 KiB, what every Windows version accepts) by default. */
  readonly maxEnvelopeSize?: number;
  /** xml:lang of wsman:Locale; en-US by default. */
  readonly locale?: string;
  /** Most connections open at once. */
  readonly maxConnections?: number;
  /** GUIDs for MessageIDs, OperationIDs and the SessionId; randomUUID by default. */
  readonly newId?: () => string;
  /** The transport seam for unit tests; a WinRMTransport by default. */
  readonly openTransport?: TransportOpener;
}

export const DEFAULT_MAX_ENVELOPE_SIZE = 153_600;

/** The connections and the constant WS-Man header fields of one session. */
export function connectSession(
  options: SessionConnectionOptions,
  defaultMaxConnections: number,
): { lanes: TransportLanes; context: WSManContext; newId: () => string } {
  const newId = options.newId ?? randomUUID;
  const lanes = openLanes(options, defaultMaxConnections);
  const context: WSManContext = {
    to: lanes.endpoint,
    sessionId: newId(),
    maxEnvelopeSize: options.maxEnvelopeSize ?? DEFAULT_MAX_ENVELOPE_SIZE,
    operationTimeoutMs: lanes.timeouts.operationMs,
    locale: options.locale,
  };
  return { lanes, context, newId };
}

/** A fresh set of connections to the session's host (a reconnecting session opens new ones). */
export function openLanes(options: SessionConnectionOptions, defaultMaxConnections: number): TransportLanes {
  return new TransportLanes({
    transport: options.transport,
    maxLanes: options.maxConnections ?? defaultMaxConnections,
    open: options.openTransport,
    newId: options.newId ?? randomUUID,
  });
}
