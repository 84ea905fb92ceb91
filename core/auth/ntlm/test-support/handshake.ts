/**
 * Test-only: runs an AuthContext against a GssAcceptor the way the HTTP transport does: each client
 * token is one request; the acceptor's "continue" is a 401 whose token goes back to `step`, its
 * "complete" the 200, whose token (if any) goes to `step` while the context is not yet complete.
 */

import { expect } from 'vitest';
import type { AuthContext } from '../../mechanism';
import type { GssAcceptor } from './gss-acceptor';

/** Returns the acceptor's name for the authenticated initiator. */
export async function authenticate(context: AuthContext, acceptor: GssAcceptor): Promise<string | undefined> {
  let result = context.step(undefined);
  for (let leg = 0; leg < 5; leg++) {
    expect(result.token, 'every leg before completion carries a token').toBeDefined();
    const reply = await acceptor.accept(result.token!);
    if (reply.status === 'continue') {
      expect(context.complete).toBe(false);
      result = context.step(reply.token);
      continue;
    }
    if (!context.complete) {
      result = context.step(reply.token);
      expect(result).toEqual({ kind: 'complete', token: undefined });
    }
    expect(context.complete).toBe(true);
    return reply.initiator;
  }
  throw new Error('no completion after 5 legs');
}

/**
 * Seals messages of several sizes both ways, interleaved: each one the acceptor unwraps was sealed by
 * `sealing`, each one `sealing` unwraps was wrapped by the acceptor (NTLM: signature(16) ‖ data).
 */
export async function exchangeSealedMessages(context: AuthContext, acceptor: GssAcceptor): Promise<void> {
  const sealing = context.sealing!;
  for (const size of [1, 17, 1000, 70_000, 5, 0]) {
    const toServer = Uint8Array.from({ length: size }, (_, i) => (i * 7 + size) & 0xff);
    const { header, data } = sealing.wrap(toServer);
    expect(header.length).toBe(16);
    expect(data.length).toBe(size);
    const opened = await acceptor.unwrap(Buffer.concat([header, data]));
    expect(opened.sealed).toBe(true);
    expect(Buffer.from(opened.plaintext).equals(toServer)).toBe(true);

    const toClient = Uint8Array.from({ length: size + 3 }, (_, i) => (i * 13 + 1) & 0xff);
    const wrapped = await acceptor.wrap(toClient);
    expect(wrapped.length).toBe(16 + toClient.length);
    const unwrapped = sealing.unwrap(wrapped.subarray(0, 16), wrapped.subarray(16));
    expect(Buffer.from(unwrapped).equals(toClient)).toBe(true);
  }
}
