import { ELECTRON_HANDSHAKE } from '../../../core/contract/electron-handshake';
import type { MessageTransport } from '../../../core/contract/transport';

/**
 * The page's half of the Electron handshake (core/contract/electron-handshake.ts): announce readiness to
 * the preload and take the port it posts back from this same window.
 */
export function requestElectronPort(page: Window): Promise<MessagePort> {
  return new Promise((resolve) => {
    const receive = (event: MessageEvent) => {
      if (event.source !== page || event.data !== ELECTRON_HANDSHAKE.PORT_DELIVERY) return;
      const [port] = event.ports;
      if (port === undefined) return;
      page.removeEventListener('message', receive);
      resolve(port);
    };
    page.addEventListener('message', receive);
    page.postMessage(ELECTRON_HANDSHAKE.PAGE_READY, page.location.origin);
  });
}

/** The contract over the MessagePort main handed over; messages are structured-cloned, never parsed here. */
export function messagePortTransport(port: MessagePort): MessageTransport {
  port.start();
  return {
    post: (message) => port.postMessage(message),
    onMessage: (listener) => {
      const receive = (event: MessageEvent) => listener(event.data);
      port.addEventListener('message', receive);
      return { dispose: () => port.removeEventListener('message', receive) };
    },
  };
}
