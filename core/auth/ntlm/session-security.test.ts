import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors';
import { NtlmIntegrityError } from './errors';
import { NegotiateFlag } from './flags';
import { NtlmSessionSecurity, ntlmMessageSealing, sealingKey, signingKey } from './session-security';
import { hex, MS_NLMP, utf16 } from './test-support/bytes';

const key = MS_NLMP.randomSessionKey;
const { sign, seal, extendedSessionSecurity, keyExchange, key128, key56 } = NegotiateFlag;
// The flags of the MS-NLMP 4.2.4 sealing example: SEAL|SIGN|ESS|KEY_EXCH|128 (PROTOCOL.md §3.5).
const FLAGS = (seal | sign | extendedSessionSecurity | keyExchange | key128) >>> 0;
const plaintext = utf16('Plaintext');

describe('NTLM session keys (MS-NLMP 4.2.4)', () => {
  it('derives the client and server sign and seal keys', () => {
    expect(hex(sealingKey(key, FLAGS, 'client-to-server'))).toBe('59f600973cc4960a25480a7c196e4c58');
    expect(hex(signingKey(key, 'client-to-server'))).toBe('4788dc861b4782f35d43fd98fe1a2d39');
    expect(hex(sealingKey(key, FLAGS, 'server-to-client'))).toBe('9355f3a957c1583d25c4c2f11e40390e');
    expect(hex(signingKey(key, 'server-to-client'))).toBe('d04d6f10741041d1d246d64188d7a8ad');
  });

  it('cuts the sealing key to 56 and 40 bits when 128 is not negotiated', () => {
    expect(hex(sealingKey(key, key56, 'client-to-server'))).toBe('a5f7253c1065e8d3d68642040e71cfe0');
    expect(hex(sealingKey(key, 0, 'client-to-server'))).toBe('42f964a471091a02ff4a77455366e4e5');
  });
});

describe('NtlmSessionSecurity', () => {
  it('seals "Plaintext" as MS-NLMP 4.2.4.4 with key exchange', () => {
    const { signature, sealed } = new NtlmSessionSecurity(key, FLAGS, 'initiator').seal(plaintext);
    expect(hex(sealed)).toBe('54e50165bf1936dc996020c1811b0f06fb5f');
    expect(hex(signature)).toBe('010000007fb38ec5c55d497600000000');
  });

  it('leaves the checksum unencrypted without key exchange', () => {
    const { signature, sealed } = new NtlmSessionSecurity(key, FLAGS & ~keyExchange, 'initiator').seal(plaintext);
    expect(hex(sealed)).toBe('54e50165bf1936dc996020c1811b0f06fb5f');
    expect(hex(signature)).toBe('0100000070352851f256430900000000');
  });

  it('continues the keystream and the sequence number (PROTOCOL.md §3.5 derived vector)', () => {
    const session = new NtlmSessionSecurity(key, FLAGS, 'initiator');
    session.seal(plaintext);
    const second = session.seal(plaintext);
    expect(hex(second.sealed)).toBe('64c308e09ea236e7f4232553c94a01e700fa');
    expect(hex(second.signature)).toBe('01000000255405955d31d8c401000000');
  });

  it('opens what the other role seals, in both directions, message after message', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 200 })), { maxLength: 12 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.constantFrom(FLAGS, FLAGS & ~keyExchange, (FLAGS & ~key128) | key56),
        (messages, sessionKey, flags) => {
          const client = new NtlmSessionSecurity(sessionKey, flags, 'initiator');
          const server = new NtlmSessionSecurity(sessionKey, flags, 'acceptor');
          for (const [fromClient, message] of messages) {
            const [sender, receiver] = fromClient ? [client, server] : [server, client];
            const { signature, sealed } = sender.seal(message);
            expect(hex(receiver.unseal(signature, sealed))).toBe(hex(message));
            receiver.verify(message, sender.sign(message));
          }
        },
      ),
    );
  });

  it('refuses a tampered message, a replay, a wrong direction and a short signature', () => {
    const fresh = () =>
      [new NtlmSessionSecurity(key, FLAGS, 'initiator'), new NtlmSessionSecurity(key, FLAGS, 'acceptor')] as const;

    const [client1, server1] = fresh();
    const tampered = client1.seal(plaintext);
    tampered.sealed[0]! ^= 1;
    expect(() => server1.unseal(tampered.signature, tampered.sealed)).toThrow(NtlmIntegrityError);

    const [client2, server2] = fresh();
    const first = client2.seal(plaintext);
    server2.unseal(first.signature, first.sealed);
    expect(() => server2.unseal(first.signature, first.sealed)).toThrow(/sequence number 1/);

    const [client3] = fresh();
    const own = client3.seal(plaintext);
    expect(() => new NtlmSessionSecurity(key, FLAGS, 'initiator').unseal(own.signature, own.sealed)).toThrow(
      NtlmIntegrityError,
    );

    const [, server4] = fresh();
    expect(() => server4.unseal(new Uint8Array(15), new Uint8Array(4))).toThrow(/16 bytes, not 15/);
  });

  it('restarts a keystream on request but keeps the sequence number (SPNEGO mechListMIC rule)', () => {
    const client = new NtlmSessionSecurity(key, FLAGS, 'initiator');
    const server = new NtlmSessionSecurity(key, FLAGS, 'acceptor');
    const mechTypes = Uint8Array.from([0x30, 0x0c]);
    server.verify(mechTypes, client.sign(mechTypes));
    client.resetKeystream('outgoing');
    server.resetKeystream('incoming');
    const { signature, sealed } = client.seal(plaintext);
    expect(hex(sealed)).toBe('54e50165bf1936dc996020c1811b0f06fb5f'); // the keystream restarted…
    expect(hex(signature.subarray(12))).toBe('01000000'); // …the sequence number did not
    expect(hex(server.unseal(signature, sealed))).toBe(hex(plaintext));
  });

  it('needs SIGN, SEAL and extended session security', () => {
    expect(() => new NtlmSessionSecurity(key, FLAGS & ~seal, 'initiator')).toThrow(UsageError);
    expect(() => new NtlmSessionSecurity(key, FLAGS & ~extendedSessionSecurity, 'initiator')).toThrow(
      /EXTENDED_SESSIONSECURITY/,
    );
  });
});

describe('ntlmMessageSealing', () => {
  it('frames WinRM parts as signature header and sealed data (PROTOCOL.md §3.4, §3.5)', () => {
    const sealing = ntlmMessageSealing(new NtlmSessionSecurity(key, FLAGS, 'initiator'));
    expect(sealing.encryptedProtocol).toBe('application/HTTP-SPNEGO-session-encrypted');
    expect(sealing.maxChunkBytes).toBeUndefined();
    const { header, data } = sealing.wrap(plaintext);
    expect(hex(header)).toBe('010000007fb38ec5c55d497600000000');
    expect(hex(data)).toBe('54e50165bf1936dc996020c1811b0f06fb5f');

    const server = new NtlmSessionSecurity(key, FLAGS, 'acceptor');
    const reply = server.seal(utf16('reply'));
    expect(Buffer.from(sealing.unwrap(reply.signature, reply.sealed)).toString('utf16le')).toBe('reply');
  });
});
