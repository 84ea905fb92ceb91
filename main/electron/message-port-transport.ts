import type { MessageTransport } from '../../core/contract/transport';
import type { ShellMessagePort } from './electron-api';

/** Main's end of a page's MessagePort as the contract's transport (messages are structured clones). */
export function messagePortMainTransport(port: ShellMessagePort): MessageTransport {
  port.start();
  return {
    post: (message) => port.postMessage(message),
    onMessage: (listener) => {
      const receive = (event: { data: unknown }) => listener(event.data);
      port.on('message', receive);
      return { dispose: () => port.off('message', receive) };
    },
  };
}
