/** Test-only: a pretend inner mechanism for CredSSP and its server side, with a sealing that checks order. */

import { ProtocolError } from '../../../errors';
import type { MessageSealing } from '../../mechanism';
import type { CredSspInnerContext } from '../inner-context';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

/** XOR "sealing" whose 16-byte header carries the direction's sequence number, checked on unwrap. */
export function sequencedSealing(): MessageSealing {
  let sent = 0;
  let received = 0;
  return {
    encryptedProtocol: 'test',
    maxChunkBytes: undefined,
    wrap: (plaintext) => {
      const header = new Uint8Array(16);
      new DataView(header.buffer).setUint32(0, sent++);
      return { header, data: plaintext.map((byte) => byte ^ 0x5a) };
    },
    unwrap: (header, data) => {
      if (header.length !== 16 || new DataView(header.buffer, header.byteOffset).getUint32(0) !== received++) {
        throw new ProtocolError('sequence number out of step');
      }
      return data.map((byte) => byte ^ 0x5a);
    },
  };
}

/**
 * The client side. 'ntlm': HELLO → CHALLENGE → AUTH:CHALLENGE, after which it can wrap. 'kerberos': AP-REQ,
 * and AP-REP completes it with nothing more to send.
 */
export class FakeInner implements CredSspInnerContext {
  readonly name = 'Fake';
  complete = false;
  sealing: MessageSealing | undefined;
  readonly received: (string | undefined)[] = [];

  constructor(private readonly kind: 'ntlm' | 'kerberos' = 'ntlm') {}

  step(token: Uint8Array | undefined): Uint8Array | undefined {
    this.received.push(token && text(token));
    if (token === undefined) return Buffer.from(this.kind === 'ntlm' ? 'HELLO' : 'AP-REQ');
    this.complete = true;
    this.sealing = sequencedSealing();
    return this.kind === 'ntlm' ? Buffer.from(`AUTH:${text(token)}`) : undefined;
  }
}

/** The server's answer to one of FakeInner's tokens. */
export function fakeInnerAnswer(token: Uint8Array): string {
  const received = text(token);
  return received === 'HELLO' ? 'CHALLENGE' : received === 'AP-REQ' ? 'AP-REP' : `unexpected ${received}`;
}
