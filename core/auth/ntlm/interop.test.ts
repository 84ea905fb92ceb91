import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError } from '../authentication-error';
import { NtlmContext } from './context';
import type { NtlmOptions } from './initiator';
import { GssAcceptorError, startGssAcceptor, type GssAcceptor } from './test-support/gss-acceptor';
import { authenticate, exchangeSealedMessages } from './test-support/handshake';

// Raw NTLM against a real peer: gss-ntlmssp (the lab's acceptor), through python3-gssapi.
const HOST = 'win-lab.lab.test';
const PASSWORD = 'Secret-123';
const bindingsOf = (certificateHash: number): Uint8Array =>
  Buffer.concat([Buffer.from('tls-server-end-point:'), Buffer.alloc(32, certificateHash)]);

const contextFor = (userName: string, password: string, channelBindings?: Uint8Array): NtlmContext =>
  new NtlmContext({
    credentials: { userName, password },
    connection: { channelBindings, targetHostName: HOST },
    randomBytes: (length) => Uint8Array.from(randomBytes(length)),
    now: () => Date.now(),
    workstation: 'DESK',
  } satisfies NtlmOptions);

describe('raw NTLM against gss-ntlmssp', () => {
  let acceptor: GssAcceptor | undefined;
  const start = async (bindings?: Uint8Array) => {
    acceptor = await startGssAcceptor({ mech: 'ntlm', host: HOST, users: [`LAB:alice:${PASSWORD}`], bindings });
    return acceptor;
  };
  afterEach(async () => {
    await acceptor?.close();
    acceptor = undefined;
  });

  // The UPN form cannot be tried here: gss-ntlmssp splits `user@realm` and proves another name
  // (e2e/lab/winrm_lab/accounts.py); the captured Windows AUTHENTICATE shows the form Windows accepts.
  it.each([
    ['LAB\\alice', 'LAB\\alice'],
    ['alice', 'alice'],
  ])('authenticates %s and seals both ways', async (userName, initiator) => {
    const peer = await start();
    const context = contextFor(userName, PASSWORD);
    expect(await authenticate(context, peer)).toBe(initiator);
    await exchangeSealedMessages(context, peer);
  });

  it('authenticates with matching channel bindings', async () => {
    const peer = await start(bindingsOf(1));
    const context = contextFor('LAB\\alice', PASSWORD, bindingsOf(1));
    expect(await authenticate(context, peer)).toBe('LAB\\alice');
    await exchangeSealedMessages(context, peer);
  });

  it('is refused with channel bindings of another certificate', async () => {
    const peer = await start(bindingsOf(1));
    await expect(authenticate(contextFor('LAB\\alice', PASSWORD, bindingsOf(2)), peer)).rejects.toThrow(
      GssAcceptorError,
    );
  });

  it('is refused with a wrong password, and says so for the user', async () => {
    const peer = await start();
    const context = contextFor('LAB\\alice', 'wrong-password');
    await expect(authenticate(context, peer)).rejects.toThrow(GssAcceptorError);
    const error = context.credentialsRejected();
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/^the server rejected the credentials of LAB\\alice using NTLM/);
  });

  it('fails the signature check of a message sealed out of sequence', async () => {
    const peer = await start();
    const context = contextFor('LAB\\alice', PASSWORD);
    await authenticate(context, peer);
    context.sealing!.wrap(Buffer.from('first, never delivered'));
    const second = context.sealing!.wrap(Buffer.from('second'));
    await expect(peer.unwrap(Buffer.concat([second.header, second.data]))).rejects.toThrow(GssAcceptorError);
  });
});
