import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError } from '../authentication-error';
import { NtlmInitiator } from '../ntlm/initiator';
import { GssAcceptorError, startGssAcceptor, type GssAcceptor } from '../ntlm/test-support/gss-acceptor';
import { authenticate, exchangeSealedMessages } from '../ntlm/test-support/handshake';
import { SpnegoContext } from './context';

// SPNEGO-wrapped NTLM against a real peer: MIT's SPNEGO acceptor with gss-ntlmssp (the lab's
// Negotiate acceptor). Proves mechListMIC in both directions and the RC4 reset rule of PROTOCOL.md
// §6.3: the first sealed message after the MICs only opens when both sides reset their keystreams.
const HOST = 'win-lab.lab.test';
const PASSWORD = 'Secret-123';
const bindings = Buffer.concat([Buffer.from('tls-server-end-point:'), Buffer.alloc(48, 0x5a)]);

const negotiateContext = (password: string, channelBindings?: Uint8Array): SpnegoContext =>
  new SpnegoContext([
    new NtlmInitiator({
      credentials: { userName: 'LAB\\alice', password },
      connection: { channelBindings, targetHostName: HOST },
      randomBytes: (length) => Uint8Array.from(randomBytes(length)),
      now: () => Date.now(),
    }),
  ]);

describe('SPNEGO (NTLM) against MIT SPNEGO with gss-ntlmssp', () => {
  let acceptor: GssAcceptor | undefined;
  const start = async (acceptorBindings?: Uint8Array) => {
    acceptor = await startGssAcceptor({
      mech: 'spnego',
      host: HOST,
      users: [`LAB:alice:${PASSWORD}`],
      bindings: acceptorBindings,
    });
    return acceptor;
  };
  afterEach(async () => {
    await acceptor?.close();
    acceptor = undefined;
  });

  it('authenticates, verifies the server mechListMIC, and seals both ways', async () => {
    const peer = await start();
    const context = negotiateContext(PASSWORD);
    expect(await authenticate(context, peer)).toBe('LAB\\alice');
    expect(context.selectedMechanism).toBe('NTLM');
    expect(context.sealing?.encryptedProtocol).toBe('application/HTTP-SPNEGO-session-encrypted');
    await exchangeSealedMessages(context, peer);
  });

  it('authenticates with channel bindings', async () => {
    const peer = await start(bindings);
    const context = negotiateContext(PASSWORD, bindings);
    expect(await authenticate(context, peer)).toBe('LAB\\alice');
    await exchangeSealedMessages(context, peer);
  });

  it('is refused with the channel bindings of another certificate', async () => {
    const peer = await start(bindings);
    const other = Buffer.concat([Buffer.from('tls-server-end-point:'), Buffer.alloc(48, 0x5b)]);
    await expect(authenticate(negotiateContext(PASSWORD, other), peer)).rejects.toThrow(GssAcceptorError);
  });

  it('is refused with a wrong password, and says so for the user', async () => {
    const peer = await start();
    const context = negotiateContext('wrong-password');
    await expect(authenticate(context, peer)).rejects.toThrow(GssAcceptorError);
    const error = context.credentialsRejected();
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/^the server rejected the credentials of LAB\\alice using NTLM \(Negotiate\)/);
  });
});
