import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecretFields, redactSecrets } from './redaction';

describe('redactSecrets', () => {
  it('replaces every occurrence of each known secret, longest first', () => {
    expect(redactSecrets('user alice pw hunter2 then hunter2x and hunter2', ['hunter2', 'hunter2x'])).toBe(
      `user alice pw ${REDACTED} then ${REDACTED} and ${REDACTED}`,
    );
  });

  it('leaves text alone when there is nothing to hide, and ignores secrets too short to search for', () => {
    expect(redactSecrets('a b c', [])).toBe('a b c');
    expect(redactSecrets('a b c', ['', 'b'])).toBe('a b c');
  });
});

describe('redactSecretFields', () => {
  it('blanks the values of secret-sounding keys at any depth, whatever their type', () => {
    const logged = redactSecretFields({
      host: 'web01',
      password: 'hunter2',
      headers: { Authorization: 'Basic YWxpY2U6aHVudGVyMg==', 'Content-Type': 'application/soap+xml' },
      attempts: [{ user: 'alice', secret: { nested: 'x' } }],
      clientPrivateKey: '-----BEGIN PRIVATE KEY-----',
      sessionToken: 42,
    });
    expect(logged).toEqual({
      host: 'web01',
      password: REDACTED,
      headers: { Authorization: REDACTED, 'Content-Type': 'application/soap+xml' },
      attempts: [{ user: 'alice', secret: REDACTED }],
      clientPrivateKey: REDACTED,
      sessionToken: REDACTED,
    });
  });

  it('copies instead of changing the input, and survives cycles', () => {
    const input: Record<string, unknown> = { password: 'p', shared: { a: 1 } };
    input['self'] = input;
    input['again'] = input['shared'];
    expect(redactSecretFields(input)).toEqual({
      password: REDACTED,
      shared: { a: 1 },
      self: '[circular]',
      again: { a: 1 },
    });
    expect(input['password']).toBe('p');
  });
});
