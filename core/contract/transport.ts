/**
 * The one seam between the renderer and main (DESIGN.md §2.1): a transport is two members. Three adapters
 * exist — an Electron MessagePort (main/electron, renderer), a WebSocket (main/bridge, renderer) and the
 * in-memory pair below for tests. Messages are JSON-compatible values; a transport that can carry more
 * (structured clone) must not be relied on for it, so every DTO stays valid over the WebSocket.
 */
export interface Disposable {
  dispose(): void;
}

export interface MessageTransport {
  /** Sends one message to the other end. */
  post(message: unknown): void;
  /** Calls `listener` with each message the other end posts, until the returned Disposable is disposed. */
  onMessage(listener: (message: unknown) => void): Disposable;
}

/**
 * Two connected ends. Delivery is asynchronous (a microtask, as a real transport never calls back inside
 * `post`) and goes through JSON, so a message a WebSocket could not carry fails here too.
 */
export function createInMemoryTransportPair(): readonly [MessageTransport, MessageTransport] {
  const first = new InMemoryEnd();
  const second = new InMemoryEnd();
  first.peer = second;
  second.peer = first;
  return [first, second];
}

class InMemoryEnd implements MessageTransport {
  peer: InMemoryEnd | undefined;
  readonly #listeners = new Set<{ readonly listener: (message: unknown) => void }>();

  post(message: unknown): void {
    const text = JSON.stringify(message);
    if (text === undefined) throw new TypeError('a transported message must be JSON-compatible');
    const peer = this.peer;
    queueMicrotask(() => peer?.deliver(JSON.parse(text)));
  }

  onMessage(listener: (message: unknown) => void): Disposable {
    const entry = { listener };
    this.#listeners.add(entry);
    return { dispose: () => this.#listeners.delete(entry) };
  }

  deliver(message: unknown): void {
    for (const { listener } of [...this.#listeners]) listener(message);
  }
}
