import type { MessageType } from '../message';
import type { Fragmenter } from '../fragment';
import type { PoolOutgoing } from './events';
import type { EncryptSecret } from './messages/values';

/** A PSRP message waiting to be sent, serialized only when it leaves the queue. */
export interface QueuedMessage {
  readonly messageType: MessageType;
  /** Undefined for the runspace pool itself. */
  readonly pipelineId: string | undefined;
  readonly stream: 'stdin' | 'pr';
  readonly carrier: 'create' | 'connect' | 'command' | 'send';
  /** The body holds a SecureString, so the session key must be known first. */
  readonly holdsSecrets: boolean;
  readonly body: (encrypt: EncryptSecret) => string;
}

export type QueuedControl = Exclude<PoolOutgoing, { kind: 'data' }>;

type QueueEntry = QueuedMessage | QueuedControl;

function isMessage(entry: QueueEntry): entry is QueuedMessage {
  return 'messageType' in entry;
}

function sameRoute(a: QueuedMessage, b: QueuedMessage): boolean {
  return a.pipelineId === b.pipelineId && a.stream === b.stream && a.carrier === b.carrier;
}

/**
 * The runspace pool's outgoing work in order: messages and control steps. Draining packs
 * consecutive messages with the same route (pool or pipeline, stream, carrier) into fragment
 * payloads with the pool's one Fragmenter, so ObjectIds follow the order messages leave.
 */
export class OutgoingQueue {
  readonly #entries: QueueEntry[] = [];

  push(entry: QueueEntry): void {
    this.#entries.push(entry);
  }

  /** Puts `message` ahead of the first message holding a secret, so that one cannot wait on it. */
  pushAheadOfSecrets(message: QueuedMessage): void {
    const firstSecret = this.#entries.findIndex((entry) => isMessage(entry) && entry.holdsSecrets);
    this.#entries.splice(firstSecret === -1 ? this.#entries.length : firstSecret, 0, message);
  }

  /**
   * Everything sendable now. Without the SecureString codec, the first message holding a secret
   * and all messages after it stay queued; control steps are not held back. `encode` turns a
   * message into its bytes; whatever does not fit the first payload of a creationXml, connectXml
   * or Command arguments follows by Send.
   */
  drain(
    fragmenter: Fragmenter,
    maxPayloadBytes: number,
    secretsReady: boolean,
    encode: (message: QueuedMessage) => Uint8Array,
  ): PoolOutgoing[] {
    const outgoing: PoolOutgoing[] = [];
    const held: QueueEntry[] = [];
    let group: { route: QueuedMessage; messages: Uint8Array[] } | undefined;
    const flush = (): void => {
      if (group === undefined) return;
      const { route, messages } = group;
      fragmenter.pack(messages, maxPayloadBytes).forEach((bytes, index) => {
        const carrier = index === 0 ? route.carrier : 'send';
        outgoing.push({ kind: 'data', pipelineId: route.pipelineId, stream: route.stream, carrier, bytes });
      });
      group = undefined;
    };
    for (const entry of this.#entries.splice(0)) {
      if (!isMessage(entry)) {
        flush();
        outgoing.push(entry);
      } else if (held.length > 0 || (entry.holdsSecrets && !secretsReady)) {
        held.push(entry);
      } else {
        if (group !== undefined && !sameRoute(group.route, entry)) flush();
        group ??= { route: entry, messages: [] };
        group.messages.push(encode(entry));
      }
    }
    flush();
    this.#entries.push(...held);
    return outgoing;
  }
}
