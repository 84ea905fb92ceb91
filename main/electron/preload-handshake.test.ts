import { describe, expect, it } from 'vitest';
import { ELECTRON_HANDSHAKE } from '../../core/contract/electron-handshake';
import type { PreloadIpc, PreloadWindow } from './preload-handshake';
import { installPreloadHandshake } from './preload-handshake';

function setUp() {
  let deliverToPage: (event: { source: unknown; data: unknown }) => void = () => undefined;
  let deliverFromMain: (event: { ports: readonly unknown[] }) => void = () => undefined;
  const posted: { message: unknown; targetOrigin: string; transfer: readonly unknown[] }[] = [];
  const sent: string[] = [];
  const listenedChannels: string[] = [];
  const page: PreloadWindow = {
    addEventListener: (_type, listener) => {
      deliverToPage = listener;
    },
    postMessage: (message, targetOrigin, transfer) => posted.push({ message, targetOrigin, transfer }),
  };
  const ipc: PreloadIpc = {
    send: (channel) => sent.push(channel),
    on: (channel, listener) => {
      listenedChannels.push(channel);
      deliverFromMain = listener;
    },
  };
  installPreloadHandshake(page, ipc);
  return {
    page,
    posted,
    sent,
    listenedChannels,
    deliverToPage: (e: { source: unknown; data: unknown }) => deliverToPage(e),
    deliverFromMain: (e: { ports: readonly unknown[] }) => deliverFromMain(e),
  };
}

describe('preload handshake', () => {
  it('asks main for a port only when its own page says it is ready', () => {
    const { page, sent, deliverToPage, listenedChannels } = setUp();
    deliverToPage({ source: {}, data: ELECTRON_HANDSHAKE.PAGE_READY });
    deliverToPage({ source: page, data: 'something else' });
    expect(sent).toEqual([]);
    deliverToPage({ source: page, data: ELECTRON_HANDSHAKE.PAGE_READY });
    expect(sent).toEqual([ELECTRON_HANDSHAKE.REQUEST_PORT]);
    expect(listenedChannels).toEqual([ELECTRON_HANDSHAKE.DELIVER_PORT]);
  });

  it('hands exactly one port from main to its page, and nothing else', () => {
    const { posted, deliverFromMain } = setUp();
    const port = { name: 'port' };
    deliverFromMain({ ports: [] });
    deliverFromMain({ ports: [port, port] });
    deliverFromMain({ ports: [port] });
    expect(posted).toEqual([{ message: ELECTRON_HANDSHAKE.PORT_DELIVERY, targetOrigin: '*', transfer: [port] }]);
  });
});
