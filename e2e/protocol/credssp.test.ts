import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { AuthenticationError as CoreAuthenticationError } from '../../core/auth/authentication-error';
import { CredSspRefusedError } from '../../core/auth/credssp';
import {
  ResourceUri,
  buildCommand,
  buildCreate,
  buildDelete,
  buildReceive,
  buildSend,
  isOperationTimeout,
  parseResponse,
  type WSManContext,
  type WSManRequest,
  type WSManSelector,
} from '../../core/wsman';
import { credSspMechanism, type CredSspAuthContext, type CredSspMechanismOptions } from '../../main/credssp';
import {
  AuthenticationError,
  StaticTrustStore,
  StoreTrustPolicy,
  WinRMTransport,
  parsePemCertificates,
  type AuthMechanism,
  type WinRMTransportOptions,
} from '../../main/transport';
import { labAdmin } from '../support/lab';

// CredSSP (main/credssp over core/auth/credssp) against the lab's acceptor (e2e/lab/winrm_lab/credssp.py:
// Python's ssl server over memory BIOs, GSSAPI SPNEGO with gss-ntlmssp inside, CredSSP version 6). A cmd shell
// runs commands through the authenticated, encrypted session; the lab reports who owns it.

const lab = inject('lab');
const [alice] = lab.accounts;
const caBundle = parsePemCertificates(readFileSync(lab.ca_bundle));

const admin = labAdmin(lab);

const transports: WinRMTransport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  await admin('POST', '/settings/reset');
});

/** Records each context the mechanism makes, to read its negotiated version and TLS suite afterwards. */
function credssp(options: Partial<CredSspMechanismOptions> = {}) {
  const contexts: CredSspAuthContext[] = [];
  const mechanism = credSspMechanism({
    credentials: { userName: alice!.user, password: alice!.password },
    consent: true,
    ...options,
  });
  const recording: AuthMechanism<CredSspAuthContext> = {
    ...mechanism,
    newContext: (connection) => {
      const context = mechanism.newContext(connection);
      contexts.push(context);
      return context;
    },
  };
  return { mechanism: recording, contexts };
}

function transport(
  mechanism: AuthMechanism<CredSspAuthContext>,
  secure: boolean,
  options: Partial<WinRMTransportOptions> = {},
) {
  const created = new WinRMTransport({
    endpoint: secure ? lab.https_url : lab.http_url,
    hostName: lab.host_name,
    mechanism,
    ...(secure && { tls: { trust: new StoreTrustPolicy(new StaticTrustStore({ caBundle })) } }),
    ...options,
  });
  transports.push(created);
  return created;
}

const wsman = (client: WinRMTransport): WSManContext => ({
  to: client.endpoint,
  maxEnvelopeSize: 512000,
  operationTimeoutMs: 20_000,
});

async function call<O extends WSManRequest['operation']>(client: WinRMTransport, request: WSManRequest<O>) {
  const response = await client.post(request.envelope);
  return parseResponse(request, response.body);
}

/** Runs `command` in a new cmd shell, feeding `stdin`; returns its stdout, exit code and the shell's owner. */
async function runInCmdShell(client: WinRMTransport, command: string, stdin?: Uint8Array) {
  const context = wsman(client);
  const shell = await call(
    client,
    buildCreate(context, randomUUID(), {
      resourceUri: ResourceUri.cmd,
      shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] },
    }),
  );
  const selectors: readonly WSManSelector[] = shell.selectors;
  const shells = (await admin('GET', '/shells')) as { shell_id: string; owner: string }[];
  const owner = shells.find((entry) => entry.shell_id.toUpperCase() === shell.shellId.toUpperCase())?.owner;
  const target = { resourceUri: ResourceUri.cmd, selectors };
  const { commandId } = await call(client, buildCommand(context, randomUUID(), { ...target, command }));
  if (stdin !== undefined) {
    await call(
      client,
      buildSend(context, randomUUID(), { ...target, stream: 'stdin', commandId, data: stdin, end: true }),
    );
  }
  const stdout: Uint8Array[] = [];
  let exitCode: number | undefined;
  while (exitCode === undefined) {
    try {
      const received = await call(
        client,
        buildReceive(context, randomUUID(), { ...target, commandId, desiredStreams: ['stdout', 'stderr'] }),
      );
      for (const stream of received.streams) if (stream.name === 'stdout') stdout.push(stream.data);
      if (received.commandState?.state === 'Done') exitCode = received.commandState.exitCode ?? 0;
    } catch (error) {
      if (!isOperationTimeout(error)) throw error;
    }
  }
  await call(client, buildDelete(context, randomUUID(), target));
  return { stdout: Buffer.concat(stdout), exitCode, owner };
}

describe('CredSSP against the lab', () => {
  it('over HTTP with message encryption: runs a command as alice, TLS 1.3 inside, version 6', async () => {
    const { mechanism, contexts } = credssp();
    const client = transport(mechanism, false);
    expect(client.encrypts).toBe(true);
    const result = await runInCmdShell(client, 'echo hello from $USER_NAME_UNSET-credssp');
    expect(result.stdout.toString()).toBe('hello from -credssp\n');
    expect(result.exitCode).toBe(0);
    expect(result.owner).toBe('LAB\\alice');
    expect(contexts).toHaveLength(1);
    expect(contexts[0]!.negotiatedVersion).toBe(6);
    expect(contexts[0]!.tls).toEqual({ protocol: 'TLSv1.3', cipherName: expect.stringMatching(/^TLS_/) });
    expect(client.stats).toMatchObject({ connectionsOpened: 1, authentications: 1, replays: 0 });
  });

  it('over HTTP with TLS 1.2 inside (GCM, trailer 16): the same', async () => {
    const { mechanism, contexts } = credssp({ tls: { maxVersion: 'TLSv1.2' } });
    const result = await runInCmdShell(transport(mechanism, false), 'echo twelve');
    expect(result.stdout.toString()).toBe('twelve\n');
    expect(contexts[0]!.tls).toEqual({ protocol: 'TLSv1.2', cipherName: expect.stringMatching(/GCM/) });
  });

  it('moves a 40 KB stdin and its echo through x-multi-encrypted 16 KiB chunks both ways', async () => {
    const { mechanism, contexts } = credssp();
    const client = transport(mechanism, false);
    await runInCmdShell(client, 'true'); // authenticates
    // Record the plaintext size of every part sealed and opened from here on.
    const sealing = contexts[0]!.sealing!;
    const { wrap, unwrap } = sealing;
    const sealed: number[] = [];
    const opened: number[] = [];
    Object.assign(sealing, {
      wrap: (plaintext: Uint8Array) => (sealed.push(plaintext.length), wrap(plaintext)),
      unwrap: async (header: Uint8Array, data: Uint8Array) => {
        const plaintext = await unwrap(header, data);
        opened.push(plaintext.length);
        return plaintext;
      },
    });
    const payload = Buffer.from(randomBytes(30_000).toString('base64')).subarray(0, 40_000);
    const result = await runInCmdShell(client, 'cat', payload);
    expect(result.stdout.length).toBe(40_000);
    expect(result.stdout.equals(payload)).toBe(true);
    // The Send envelope (40 KB as base64) went as three or more full chunks and a rest; so did the Receive answer.
    expect(sealed.filter((size) => size === 16384).length).toBeGreaterThanOrEqual(3);
    expect(opened.filter((size) => size === 16384).length).toBeGreaterThanOrEqual(3);
    expect(client.stats.connectionsOpened).toBe(1);
  });

  it('over HTTPS, without message encryption, with the listener certificate validated by the transport', async () => {
    const { mechanism, contexts } = credssp();
    const client = transport(mechanism, true);
    expect(client.encrypts).toBe(false);
    const result = await runInCmdShell(client, 'echo over https');
    expect(result.stdout.toString()).toBe('over https\n');
    expect(result.owner).toBe('LAB\\alice');
    expect(client.connection!.tls!.trustBasis).toBe('chain');
    expect(contexts[0]!.negotiatedVersion).toBe(6);
  });

  it('authenticates afresh on a new connection after the lab forgets every security context', async () => {
    const { mechanism, contexts } = credssp();
    const client = transport(mechanism, false);
    await runInCmdShell(client, 'echo one');
    await admin('POST', '/faults/invalidate-auth');
    expect((await runInCmdShell(client, 'echo two')).stdout.toString()).toBe('two\n');
    expect(contexts).toHaveLength(2);
    expect(client.stats).toMatchObject({ authentications: 2, replays: 1 });
  });

  it("reports a wrong password with the server's errorCode, naming the user", async () => {
    const { mechanism } = credssp({ credentials: { userName: alice!.user, password: 'not-the-password' } });
    const error = await runInCmdShell(transport(mechanism, false), 'true').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CredSspRefusedError);
    expect(error).toBeInstanceOf(CoreAuthenticationError);
    expect((error as CredSspRefusedError).status).toBe(0xc000006d);
    expect((error as Error).message).toBe(
      'the server rejected the credentials of LAB\\alice using CredSSP (STATUS_LOGON_FAILURE, 0xC000006D: ' +
        'the user name or password is incorrect): check the user name, its domain and the password',
    );
  });

  it('accepts the lab (version 6) under a minimum of 6; a server below the minimum fails before the binding (unit tests)', async () => {
    const { mechanism, contexts } = credssp({ minimumVersion: 6 });
    expect((await runInCmdShell(transport(mechanism, false), 'echo six')).stdout.toString()).toBe('six\n');
    expect(contexts[0]!.negotiatedVersion).toBe(6);
  });

  it('says plainly when CredSSP is not enabled on the server', async () => {
    await admin('POST', '/settings', { auth_credssp: false });
    const { mechanism } = credssp();
    const error = await runInCmdShell(transport(mechanism, false), 'true').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/does not accept CredSSP authentication; it offers Negotiate/);
  });

  it('requires explicit consent, since CredSSP delegates the password', () => {
    expect(() =>
      credSspMechanism({ credentials: { userName: alice!.user, password: alice!.password }, consent: false }),
    ).toThrow(/hands the password of LAB\\alice to the server: it needs the user's explicit consent/);
  });
});
