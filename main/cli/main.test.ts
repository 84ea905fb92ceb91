import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from './main';
import type { Terminal } from './terminal';

function terminal(): Terminal & { out: () => string; err: () => string } {
  const sink = () => {
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    return { stream, text: () => text };
  };
  const stdout = sink();
  const stderr = sink();
  return {
    stdin: process.stdin,
    stdinIsTerminal: false,
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdoutIsTerminal: false,
    onInterrupt: () => () => undefined,
    out: stdout.text,
    err: stderr.text,
  };
}

const secrets = { env: {}, readStdin: async () => '', promptSecret: undefined };

describe('main', () => {
  it('prints help to stdout and exits 0', async () => {
    const term = terminal();
    expect(await main(['help', 'cmd'], { terminal: term, secrets })).toBe(0);
    expect(term.out()).toMatch(/^Usage: winrm-desk cmd --url URL/);
    expect(term.out()).toContain('there is no --password option');
    expect(term.err()).toBe('');
  });

  it('reports a failure on stderr with its exit code instead of throwing', async () => {
    const term = terminal();
    expect(await main(['cmd', '--url', 'http://h', '--user', 'u', '--', 'x'], { terminal: term, secrets })).toBe(64);
    expect(term.err()).toBe('winrm-desk: no password given: use --password-env VARIABLE or --password-stdin.\n');
    expect(term.out()).toBe('');
  });
});
