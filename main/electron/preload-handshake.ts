import { ELECTRON_HANDSHAKE } from '../../core/contract/electron-handshake';

/** What the preload needs of the page's window (the preload runs with the DOM, main's types have none). */
export interface PreloadWindow {
  addEventListener(
    type: 'message',
    listener: (event: { readonly source: unknown; readonly data: unknown }) => void,
  ): void;
  postMessage(message: unknown, targetOrigin: string, transfer: readonly unknown[]): void;
}

export interface PreloadIpc {
  send(channel: string): void;
  on(channel: string, listener: (event: { readonly ports: readonly unknown[] }) => void): void;
}

/**
 * The preload's whole job (core/contract/electron-handshake.ts): forward the page's readiness to main
 * and the port main sends back to the page. Nothing is exposed on the page's window, and no channel but
 * these two is ever used.
 */
export function installPreloadHandshake(page: PreloadWindow, ipc: PreloadIpc): void {
  page.addEventListener('message', (event) => {
    if (event.source === page && event.data === ELECTRON_HANDSHAKE.PAGE_READY) {
      ipc.send(ELECTRON_HANDSHAKE.REQUEST_PORT);
    }
  });
  ipc.on(ELECTRON_HANDSHAKE.DELIVER_PORT, (event) => {
    if (event.ports.length !== 1) return;
    // The target is the page's own window; '*' only skips an origin check against itself.
    page.postMessage(ELECTRON_HANDSHAKE.PORT_DELIVERY, '*', event.ports);
  });
}
