import type { Disposable, MessageTransport } from '../../../core/contract/transport';

export interface SocketTransport extends MessageTransport {
  /** Fires once when the socket closes, whoever closed it. */
  onClose(listener: () => void): Disposable;
}

/** The contract over the bridge's WebSocket; resolves once the socket is open, rejects if it never opens. */
export function openWebSocketTransport(url: string): Promise<SocketTransport> {
  const socket = new WebSocket(url);
  const closeListeners = new Set<() => void>();
  socket.addEventListener('close', () => closeListeners.forEach((listener) => listener()), { once: true });
  const transport: SocketTransport = {
    post: (message) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    onMessage: (listener) => {
      const receive = (event: MessageEvent) => {
        if (typeof event.data === 'string') listener(JSON.parse(event.data));
      };
      socket.addEventListener('message', receive);
      return { dispose: () => socket.removeEventListener('message', receive) };
    },
    onClose: (listener) => {
      closeListeners.add(listener);
      return { dispose: () => closeListeners.delete(listener) };
    },
  };
  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve(transport), { once: true });
    socket.addEventListener('close', () => reject(new Error('the WebSocket closed before it opened')), {
      once: true,
    });
  });
}
