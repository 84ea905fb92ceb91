import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter';

describe('Emitter', () => {
  it('calls the listeners subscribed when it fires, each registration once', () => {
    const emitter = new Emitter<number>();
    const seen: string[] = [];
    const listener = (value: number) => seen.push(`a${value}`);
    const first = emitter.event(listener);
    emitter.event(listener);
    emitter.fire(1);
    first.dispose();
    emitter.fire(2);
    expect(seen).toEqual(['a1', 'a1', 'a2']);
    expect(emitter.listenerCount).toBe(1);
  });

  it('runs every listener even when some throw, then reports the failures', () => {
    const emitter = new Emitter<void>();
    let called = 0;
    emitter.event(() => {
      throw new Error('one');
    });
    emitter.event(() => called++);
    expect(() => emitter.fire()).toThrow('one');
    expect(called).toBe(1);
    emitter.event(() => {
      throw new Error('two');
    });
    expect(() => emitter.fire()).toThrow(AggregateError);
    expect(called).toBe(2);
  });
});
