import { describe, expect, it } from 'vitest';
import { createInMemoryTransportPair } from './transport';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('in-memory transport pair', () => {
  it('delivers each message to the other end only, asynchronously and in order', async () => {
    const [left, right] = createInMemoryTransportPair();
    const atLeft: unknown[] = [];
    const atRight: unknown[] = [];
    left.onMessage((message) => atLeft.push(message));
    right.onMessage((message) => atRight.push(message));
    left.post({ n: 1 });
    left.post({ n: 2 });
    right.post('back');
    expect(atRight).toEqual([]);
    await tick();
    expect(atRight).toEqual([{ n: 1 }, { n: 2 }]);
    expect(atLeft).toEqual(['back']);
  });

  it('carries a copy made through JSON, as a WebSocket would', async () => {
    const [left, right] = createInMemoryTransportPair();
    const received: unknown[] = [];
    right.onMessage((message) => received.push(message));
    const message = { list: [1], when: new Date('2025-01-02T03:04:05.000Z'), gone: undefined };
    left.post(message);
    message.list.push(2);
    await tick();
    expect(received).toEqual([{ list: [1], when: '2025-01-02T03:04:05.000Z' }]);
    expect(() => left.post(10n)).toThrow(TypeError);
    expect(() => left.post(undefined)).toThrow('JSON-compatible');
  });

  it('stops calling a listener once disposed and keeps the others', async () => {
    const [left, right] = createInMemoryTransportPair();
    const first: unknown[] = [];
    const second: unknown[] = [];
    const subscription = right.onMessage((message) => first.push(message));
    right.onMessage((message) => second.push(message));
    left.post(1);
    await tick();
    subscription.dispose();
    left.post(2);
    await tick();
    expect(first).toEqual([1]);
    expect(second).toEqual([1, 2]);
  });
});
