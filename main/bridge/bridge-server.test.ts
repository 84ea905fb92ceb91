import { Buffer } from 'node:buffer';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appContract } from '../../core/contract/app-contract';
import type { LogEntry } from '../services/test-support/temporary-app';
import { openTestApp, temporaryDirectory } from '../services/test-support/temporary-app';
import type { RunningBridge } from './bridge-server';
import { startBridge } from './bridge-server';
import { RawWebSocketClient } from './test-support/raw-websocket-client';
import { encodeFrame, OPCODE } from './websocket-frames';

const TOKEN = 'test-token-0123456789';
let directory: string;
let removeDirectory: () => Promise<void>;
let bridge: RunningBridge;
let log: LogEntry[];

beforeEach(async () => {
  ({ directory, removeDirectory } = await temporaryDirectory());
  const rendererDirectory = path.join(directory, 'renderer');
  await mkdir(path.join(rendererDirectory, 'assets'), { recursive: true });
  await writeFile(path.join(rendererDirectory, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(path.join(rendererDirectory, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(rendererDirectory, '.env'), 'SECRET=1');
  await writeFile(path.join(directory, 'outside.js'), 'outside');
  const app = await openTestApp(path.join(directory, 'data'));
  log = app.log;
  bridge = await startBridge({
    rendererDirectory,
    contract: appContract,
    services: app.services,
    logger: app.logger,
    token: TOKEN,
  });
});
afterEach(async () => {
  await bridge.close();
  await removeDirectory();
});

function get(
  pathname: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: bridge.port,
        path: pathname,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

const host = () => `127.0.0.1:${bridge.port}`;
const openSocket = (options: { path?: string; origin?: string; host?: string } = {}) =>
  RawWebSocketClient.open(
    bridge.port,
    RawWebSocketClient.upgradeRequest({
      path: options.path ?? `/contract?token=${TOKEN}`,
      host: options.host ?? host(),
      origin: options.origin ?? bridge.origin,
    }),
  );

describe('web bridge over HTTP', () => {
  it('listens on 127.0.0.1 and gives the page URL with the token in its fragment', () => {
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/#token=${TOKEN}`);
  });

  it('serves the renderer with a strict CSP and the other security headers, and never CORS', async () => {
    const page = await get('/', { headers: { Origin: 'http://evil.example' } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>t</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
        `connect-src ws://127.0.0.1:${bridge.port}; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    expect(page.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(Object.keys(page.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect((await get('/assets/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it.each([
    ['/../outside.js', 404],
    ['/%2e%2e/outside.js', 404],
    ['/assets/..%2f..%2foutside.js', 404],
    ['/.env', 404],
    ['/missing.js', 404],
    ['/assets', 404],
  ])('refuses %s', async (pathname, status) => {
    const response = await get(pathname);
    expect(response.status).toBe(status);
    expect(response.body).not.toContain('outside');
  });

  it('refuses other methods (no CORS preflight) and a foreign Host header (DNS rebinding)', async () => {
    expect((await get('/', { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } })).status).toBe(405);
    expect((await get('/', { method: 'POST' })).status).toBe(405);
    expect((await get('/', { headers: { Host: `evil.example:${bridge.port}` } })).status).toBe(403);
  });
});

describe('web bridge over WebSocket', () => {
  it('serves the contract to its own page with the token', async () => {
    const client = await openSocket();
    expect(client.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
    client.sendText(JSON.stringify({ kind: 'request', id: 1, service: 'hosts', method: 'list' }));
    await client.until(() => client.messages.length === 1);
    expect(client.messages).toEqual([{ kind: 'response', id: 1, ok: true, payload: { hosts: [], groups: [] } }]);
    client.destroy();
  });

  it.each([
    ['a wrong token', { path: '/contract?token=wrong' }],
    ['no token', { path: '/contract' }],
    ['a foreign Origin', { origin: 'http://evil.example' }],
    ['a foreign Host', { host: 'evil.example' }],
  ])('refuses %s with 403, logged, and serves nothing', async (_name, options) => {
    const client = await openSocket(options);
    expect(client.statusLine).toBe('HTTP/1.1 403 Forbidden');
    await client.closed;
    expect(log).toMatchObject([{ level: 'warn', message: 'bridge: refused a WebSocket connection' }]);
    expect(JSON.stringify(log)).not.toContain(TOKEN);
  });

  it('answers a ping with a pong carrying the same payload', async () => {
    const client = await openSocket();
    client.sendRaw(encodeFrame(OPCODE.ping, Buffer.from('beat'), { mask: Buffer.from([1, 2, 3, 4]) }));
    await client.until(() => client.frames.length === 1);
    expect(client.frames[0]).toEqual({ opcode: OPCODE.pong, payload: Buffer.from('beat') });
    client.destroy();
  });

  it('closes with 1002 on a protocol violation and 1007 on a message that is not JSON', async () => {
    const unmasked = await openSocket();
    unmasked.sendRaw(encodeFrame(OPCODE.text, Buffer.from('{}')));
    await unmasked.closed;
    expect(unmasked.frames.map((frame) => [frame.opcode, frame.payload.readUInt16BE(0)])).toEqual([
      [OPCODE.close, 1002],
    ]);
    const notJson = await openSocket();
    notJson.sendText('hello');
    await notJson.closed;
    expect(notJson.frames.map((frame) => [frame.opcode, frame.payload.readUInt16BE(0)])).toEqual([
      [OPCODE.close, 1007],
    ]);
    expect(log.map((entry) => entry.message)).toEqual([
      'bridge: websocket: a client frame is not masked',
      'bridge: websocket: a message is not JSON',
    ]);
  });

  it('echoes a close from the page and ends the connection', async () => {
    const client = await openSocket();
    client.sendRaw(encodeFrame(OPCODE.close, Buffer.from([0x03, 0xe8]), { mask: Buffer.from([9, 9, 9, 9]) }));
    await client.closed;
    expect(client.frames).toEqual([{ opcode: OPCODE.close, payload: Buffer.from([0x03, 0xe8]) }]);
  });

  it('says "going away" to open pages when it stops', async () => {
    const client = await openSocket();
    await bridge.close();
    await client.until(() => client.frames.length === 1);
    expect(client.frames[0]?.payload.readUInt16BE(0)).toBe(1001);
    client.destroy();
  });
});
