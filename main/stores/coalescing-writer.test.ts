import { describe, expect, it } from 'vitest';
import { CoalescingWriter } from './coalescing-writer';

/** A write function whose calls finish only when the test releases them. */
function gatedWrites() {
  const written: string[] = [];
  const pending: { value: string; finish: (error?: Error) => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const write = (value: string) =>
    new Promise<void>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.push({
        value,
        finish: (error) => {
          inFlight--;
          if (error) return reject(error);
          written.push(value);
          resolve();
        },
      });
    });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { written, pending, write, settle, maxInFlight: () => maxInFlight };
}

describe('CoalescingWriter', () => {
  it('writes a burst submitted at once as one write of the last value', async () => {
    const gate = gatedWrites();
    const writer = new CoalescingWriter(gate.write);
    const done = ['a', 'b', 'c', 'd'].map((value) => writer.write(value));
    await gate.settle();
    expect(gate.pending.map((call) => call.value)).toEqual(['d']);
    gate.pending[0]!.finish();
    await Promise.all(done);
    expect(gate.written).toEqual(['d']);
  });

  it('keeps one write in flight and replaces the waiting value with each newer one', async () => {
    const gate = gatedWrites();
    const writer = new CoalescingWriter(gate.write);
    const first = writer.write('v1');
    await gate.settle();
    const later = ['v2', 'v3', 'v4'].map((value) => writer.write(value));
    await gate.settle();
    expect(gate.pending).toHaveLength(1);
    gate.pending[0]!.finish();
    await first;
    await gate.settle();
    expect(gate.pending.map((call) => call.value)).toEqual(['v1', 'v4']);
    gate.pending[1]!.finish();
    await Promise.all(later);
    expect(gate.written).toEqual(['v1', 'v4']);
    expect(gate.maxInFlight()).toBe(1);
  });

  it('reports a failed write to its callers and still runs the next one', async () => {
    const gate = gatedWrites();
    const writer = new CoalescingWriter(gate.write);
    const failing = writer.write('lost');
    await gate.settle();
    const next = writer.write('kept');
    gate.pending[0]!.finish(new Error('disk full'));
    await expect(failing).rejects.toThrow('disk full');
    await gate.settle();
    gate.pending[1]!.finish();
    await next;
    await writer.idle();
    expect(gate.written).toEqual(['kept']);
  });

  it('is idle only after every submitted write has finished', async () => {
    const gate = gatedWrites();
    const writer = new CoalescingWriter(gate.write);
    void writer.write('x');
    let idle = false;
    void writer.idle().then(() => (idle = true));
    await gate.settle();
    expect(idle).toBe(false);
    gate.pending[0]!.finish();
    await gate.settle();
    expect(idle).toBe(true);
  });
});
