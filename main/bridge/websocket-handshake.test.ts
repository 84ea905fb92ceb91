import { describe, expect, it } from 'vitest';
import type { UpgradeRequest } from './websocket-handshake';
import { checkUpgradeRequest, websocketAcceptValue } from './websocket-handshake';

const expected = { host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000', path: '/contract', token: 'tok-123' };
const good: UpgradeRequest = {
  method: 'GET',
  url: '/contract?token=tok-123',
  headers: {
    host: '127.0.0.1:4000',
    origin: 'http://127.0.0.1:4000',
    upgrade: 'websocket',
    connection: 'keep-alive, Upgrade',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  },
};
const variant = (change: { method?: string; url?: string; headers?: Record<string, string | undefined> }) => ({
  ...good,
  ...change,
  headers: { ...good.headers, ...change.headers },
});

describe('WebSocket upgrade check', () => {
  it('computes the accept value of RFC 6455 §1.3', () => {
    expect(websocketAcceptValue('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(checkUpgradeRequest(good, expected)).toEqual({ ok: true, acceptValue: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' });
  });

  it.each([
    ['a wrong token', variant({ url: '/contract?token=tok-124' }), 403],
    ['no token', variant({ url: '/contract' }), 403],
    ['an empty token', variant({ url: '/contract?token=' }), 403],
    ['a foreign Origin', variant({ headers: { origin: 'http://evil.example' } }), 403],
    ['a localhost Origin on the same port', variant({ headers: { origin: 'http://localhost:4000' } }), 403],
    ['no Origin', variant({ headers: { origin: undefined } }), 403],
    ['a rebinding Host', variant({ headers: { host: 'evil.example:4000' } }), 403],
    ['another path', variant({ url: '/other?token=tok-123' }), 404],
    ['a POST', variant({ method: 'POST' }), 400],
    ['no Upgrade header', variant({ headers: { upgrade: undefined } }), 400],
    ['a Connection without upgrade', variant({ headers: { connection: 'keep-alive' } }), 400],
    ['version 8', variant({ headers: { 'sec-websocket-version': '8' } }), 426],
    ['a short key', variant({ headers: { 'sec-websocket-key': 'c2hvcnQ=' } }), 400],
  ])('refuses %s', (_name, request, status) => {
    expect(checkUpgradeRequest(request, expected)).toMatchObject({ ok: false, status });
  });
});
