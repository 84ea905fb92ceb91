import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { ProtocolError, UsageError } from '../errors';
import { BasicAuthContext } from './basic';

describe('BasicAuthContext', () => {
  it('completes in one step with user:password in UTF-8 (RFC 7617 §2.1 example and non-ASCII)', () => {
    const context = new BasicAuthContext({ user: 'Aladdin', password: 'open sesame' });
    expect(context.complete).toBe(false);
    const result = context.step(undefined);
    expect(result.kind).toBe('complete');
    expect(Buffer.from(result.token!).toString('base64')).toBe('QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(context.complete).toBe(true);
    expect(context.sealing).toBeUndefined();
    expect(context.connectionBound).toBe(false);
    const unicode = new BasicAuthContext({ user: 'test', password: '123£' }).step(undefined);
    expect(Buffer.from(unicode.token!).toString('base64')).toBe('dGVzdDoxMjPCow==');
  });

  it('refuses a second step, a server token and user names RFC 7617 cannot carry', () => {
    const context = new BasicAuthContext({ user: 'alice', password: 'pw' });
    context.step(undefined);
    expect(() => context.step(undefined)).toThrow(UsageError);
    expect(() => new BasicAuthContext({ user: 'a', password: 'b' }).step(new Uint8Array(1))).toThrow(ProtocolError);
    expect(() => new BasicAuthContext({ user: 'a:b', password: 'c' })).toThrow(/cannot contain ":"/);
    expect(() => new BasicAuthContext({ user: 'a', password: 'b\nc' })).toThrow(/control characters/);
  });
});
