/**
 * How a page of the Electron shell gets its MessagePort to main (DESIGN.md §2.1). The preload exposes
 * nothing to the page; instead:
 *
 * 1. The page posts `PAGE_READY` to its own window (`window.postMessage(PAGE_READY, location.origin)`).
 * 2. The preload, seeing that message come from its own window, sends one IPC message on `REQUEST_PORT`.
 * 3. Main checks the sender (our window, its main frame, our app origin), creates a MessageChannelMain,
 *    keeps one end for the contract server and sends the other on `DELIVER_PORT`.
 * 4. The preload posts `PORT_DELIVERY` to the window with that port transferred; the page takes it from
 *    a message whose source is its own window and speaks the contract over it.
 *
 * A reloaded page repeats the exchange; main closes the port it gave that page before.
 */
export const ELECTRON_HANDSHAKE = {
  PAGE_READY: 'winrm-desk:page-ready',
  REQUEST_PORT: 'winrm-desk:request-port',
  DELIVER_PORT: 'winrm-desk:deliver-port',
  PORT_DELIVERY: 'winrm-desk:port',
} as const;

/** The origin of the app's pages in Electron (a privileged standard scheme, never file://). */
export const ELECTRON_APP_ORIGIN = 'app://winrm-desk';
