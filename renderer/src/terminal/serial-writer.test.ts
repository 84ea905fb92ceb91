import { describe, expect, it } from 'vitest';
import { SerialWriter } from './serial-writer';

/** A terminal that parses writes only when told, like xterm's asynchronous write queue. */
function slowTerminal() {
  const parsed: string[] = [];
  const queued: { data: string; callback?: () => void }[] = [];
  return {
    parsed,
    queued,
    write(data: string, callback?: () => void) {
      queued.push({ data, callback });
    },
    /** Parses the oldest queued write and runs its callback. */
    parseOne() {
      const next = queued.shift();
      if (!next) throw new Error('nothing queued');
      parsed.push(next.data);
      next.callback?.();
    },
  };
}

describe('SerialWriter', () => {
  it('hands plain writes over at once, in order', () => {
    const terminal = slowTerminal();
    const writer = new SerialWriter(terminal, () => {});
    writer.write('a');
    writer.write('b');
    expect(terminal.queued.map((write) => write.data)).toEqual(['a', 'b']);
  });

  it('builds a composed step only after every earlier write was parsed', () => {
    const terminal = slowTerminal();
    const writer = new SerialWriter(terminal, () => {});
    const seen: string[][] = [];
    writer.write('output');
    writer.compose(() => {
      seen.push([...terminal.parsed]);
      return 'redraw';
    });
    writer.write('later');
    expect(seen).toEqual([]);
    expect(terminal.queued.map((write) => write.data)).toEqual(['output']);
    terminal.parseOne();
    expect(seen).toEqual([['output']]);
    expect(terminal.queued.map((write) => write.data)).toEqual(['redraw', 'later']);
  });

  it('acknowledges a step once parsed, and at once when it wrote nothing', () => {
    const terminal = slowTerminal();
    const writer = new SerialWriter(terminal, () => {});
    const acknowledged: string[] = [];
    writer.compose(
      () => 'chunk',
      () => acknowledged.push('chunk'),
    );
    writer.compose(
      () => '',
      () => acknowledged.push('empty'),
    );
    expect(acknowledged).toEqual([]);
    terminal.parseOne();
    expect(acknowledged).toEqual(['chunk', 'empty']);
  });

  it('keeps the order when a step queues more while it is being built', () => {
    const terminal = slowTerminal();
    const writer = new SerialWriter(terminal, () => {});
    writer.compose(() => {
      writer.write('queued during build');
      return 'first';
    });
    expect(terminal.queued.map((write) => write.data)).toEqual(['first', 'queued during build']);
  });

  it('reports a step that fails and goes on with the next', () => {
    const terminal = slowTerminal();
    const errors: unknown[] = [];
    const writer = new SerialWriter(terminal, (error) => errors.push(error));
    writer.compose(() => {
      throw new Error('broken');
    });
    writer.compose(() => 'next');
    expect(errors).toEqual([new Error('broken')]);
    expect(terminal.queued.map((write) => write.data)).toEqual(['next']);
  });

  it('does nothing more once disposed', () => {
    const terminal = slowTerminal();
    const writer = new SerialWriter(terminal, () => {});
    let built = false;
    writer.write('pending');
    writer.compose(() => {
      built = true;
      return 'x';
    });
    writer.dispose();
    terminal.parseOne();
    writer.write('after');
    expect(built).toBe(false);
    expect(terminal.queued).toEqual([]);
  });
});
