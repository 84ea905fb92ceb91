import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors';
import { HttpResponseReader, MalformedHttpResponseError, formatRequestHead, type HttpResponse } from './http-message';

const limits = { maxHeadBytes: 1024, maxBodyBytes: 4096 };

/** Feeds `pieces` one push at a time; returns the response when a push completes it. */
function read(pieces: (string | Uint8Array)[], end = false): HttpResponse | undefined {
  const reader = new HttpResponseReader(limits);
  let response: HttpResponse | undefined;
  for (const piece of pieces) {
    expect(response).toBeUndefined();
    response = reader.push(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
  }
  return end && response === undefined ? reader.end() : response;
}

const text = (response: HttpResponse | undefined) => Buffer.from(response!.body).toString('latin1');

const CHUNKED =
  'HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '5;ext=1\r\nhello\r\n' +
  '7\r\n, world\r\n' +
  '0\r\nX-Trailer: yes\r\n\r\n';

describe('HttpResponseReader', () => {
  it('reads a Content-Length response with repeated headers, keeping the connection', () => {
    const response = read([
      'HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: Kerberos\r\nServer: Microsoft-HTTPAPI/2.0\r\nContent-Length: 3\r\n\r\nabc',
    ]);
    expect(response!.status).toBe(401);
    expect(response!.headers.getAll('www-authenticate')).toEqual(['Negotiate', 'Kerberos']);
    expect(response!.headers.get('SERVER')).toBe('Microsoft-HTTPAPI/2.0');
    expect(text(response)).toBe('abc');
    expect(response!.keepAlive).toBe(true);
  });

  it('reads chunked bodies with extensions and trailers', () => {
    const response = read([CHUNKED]);
    expect(text(response)).toBe('hello, world');
    expect(response!.headers.get('x-trailer')).toBeUndefined();
  });

  it('gives the same response however the bytes are split', () => {
    const whole = Buffer.from(CHUNKED, 'latin1');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), whole.length];
        const pieces = points.slice(1).map((point, index) => whole.subarray(points[index]!, point));
        expect(text(read(pieces))).toBe('hello, world');
      }),
    );
  });

  it('skips interim 1xx responses', () => {
    expect(text(read(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']))).toBe('ok');
  });

  it('honours Connection: close and HTTP/1.0, and reads close-delimited bodies at end()', () => {
    expect(read(['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'])!.keepAlive).toBe(false);
    expect(read(['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'])!.keepAlive).toBe(false);
    expect(read(['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n'])!.keepAlive).toBe(true);
    const delimited = read(['HTTP/1.1 200 OK\r\n\r\npart one ', 'part two'], true);
    expect(text(delimited)).toBe('part one part two');
    expect(delimited!.keepAlive).toBe(false);
    expect(read(['HTTP/1.1 204 No Content\r\n\r\n'])!.body).toHaveLength(0);
  });

  it('unfolds obsolete line folding', () => {
    const response = read(['HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 0\r\n\r\n']);
    expect(response!.headers.get('x-long')).toBe('a b');
  });

  it('reports a response cut short, or no response at all', () => {
    const reader = new HttpResponseReader(limits);
    expect(() => reader.end()).toThrow(/without answering/);
    const cut = new HttpResponseReader(limits);
    cut.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    expect(cut.receivedBytes).toBe(42);
    expect(() => cut.end()).toThrow(/in the middle of its response \(after 42 bytes\)/);
  });

  it.each([
    ['a non-HTTP status line', 'SSH-2.0-OpenSSH\r\n\r\n'],
    ['conflicting Content-Length values', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'],
    ['a negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['a compressed body', 'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n'],
    ['an unknown transfer coding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n'],
    ['an invalid chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n'],
    ['bytes after the response', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab'],
    ['a head over the limit', `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(2000)}\r\n\r\n`],
    ['an announced body over the limit', 'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n'],
    ['a chunked body over the limit', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2000\r\n'],
  ])('refuses %s', (_, bytes) => {
    expect(() => read([bytes])).toThrow(MalformedHttpResponseError);
  });

  it('refuses a close-delimited body over the limit as it arrives', () => {
    const reader = new HttpResponseReader(limits);
    reader.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'));
    expect(() => reader.push(new Uint8Array(5000))).toThrow(/exceeds 4096 bytes/);
  });

  it('throws only MalformedHttpResponseError on random or damaged input', () => {
    const valid = Buffer.from(CHUNKED, 'latin1');
    const damaged = fc
      .tuple(fc.nat({ max: valid.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 4 }))
      .map(([at, bytes]) => Buffer.concat([valid.subarray(0, at), bytes, valid.subarray(at + bytes.length)]));
    fc.assert(
      fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 200 })), fc.boolean(), (bytes, end) => {
        try {
          read([bytes], end);
        } catch (error) {
          expect(error).toBeInstanceOf(MalformedHttpResponseError);
        }
      }),
    );
  });
});

describe('formatRequestHead', () => {
  it('writes the request line and headers', () => {
    const head = formatRequestHead({
      method: 'POST',
      target: '/wsman?PSVersion=7',
      headers: [
        ['Host', 'win-lab:5986'],
        ['Content-Length', '0'],
      ],
    });
    expect(Buffer.from(head).toString('latin1')).toBe(
      'POST /wsman?PSVersion=7 HTTP/1.1\r\nHost: win-lab:5986\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('refuses header values that would smuggle lines, and bad names or targets', () => {
    const head = (name: string, value: string, target = '/wsman') =>
      formatRequestHead({ method: 'POST', target, headers: [[name, value]] });
    expect(() => head('Authorization', 'Basic x\r\nX-Evil: 1')).toThrow(UsageError);
    expect(() => head('Bad Name', 'x')).toThrow(UsageError);
    expect(() => head('Host', 'x', '/a b')).toThrow(UsageError);
  });
});
