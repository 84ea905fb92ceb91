import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ResourceUri,
  WSManFault,
  buildCreate,
  buildDelete,
  buildGet,
  parseResponse,
  readWinRMConfig,
  type WSManContext,
  type WSManRequest,
} from '../../core/wsman';
import {
  AuthenticationError,
  ConnectionLostError,
  ReadTimeoutError,
  StaticTrustStore,
  StoreTrustPolicy,
  UntrustedCertificateError,
  WinRMTransport,
  basicMechanism,
  certificateMechanism,
  endPointHash,
  loadPemClientCertificate,
  parsePemCertificates,
  tlsServerEndPoint,
  type AuthMechanism,
  type TrustAnswer,
  type TrustRequest,
  type WinRMTransportOptions,
} from '../../main/transport';
import { labAdmin } from '../support/lab';

// The transport of main/transport against the lab (e2e/lab/README.md): Basic and certificate authentication
// over HTTPS, keep-alive, our own TLS trust decisions on the lab's four server certificates, and recovery
// from the faults the lab injects. WS-Man requests come from core/wsman.

const lab = inject('lab');
type ServerCertName = 'chain' | 'self_signed' | 'expired' | 'sha384';
const serverCerts = lab.server_certs as Record<ServerCertName, { cert: string; fingerprint_sha256: string }>;
const [alice] = lab.accounts;
const caBundle = parsePemCertificates(readFileSync(lab.ca_bundle));

const admin = labAdmin(lab);

const transports: WinRMTransport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  await admin('POST', '/server-cert', { name: 'chain' });
  await admin('DELETE', '/faults');
  await admin('POST', '/settings/reset');
});

const basic = () => basicMechanism({ user: alice!.user, password: alice!.password });
const clientCertificate = () =>
  loadPemClientCertificate({
    certificate: readFileSync(lab.client_cert as string),
    privateKey: readFileSync(lab.client_key as string),
  });

function transport(options: Partial<WinRMTransportOptions> & { store?: StaticTrustStore } = {}): WinRMTransport {
  const { store = new StaticTrustStore({ caBundle }), ...rest } = options;
  const created = new WinRMTransport({
    endpoint: lab.https_url,
    hostName: lab.host_name,
    mechanism: basic(),
    tls: { trust: new StoreTrustPolicy(store) },
    ...rest,
  });
  transports.push(created);
  return created;
}

const context = (endpoint: string): WSManContext => ({
  to: endpoint,
  maxEnvelopeSize: 153600,
  operationTimeoutMs: 20_000,
});

async function call<O extends WSManRequest['operation']>(
  client: WinRMTransport,
  request: WSManRequest<O>,
  idempotent = false,
) {
  const response = await client.post(request.envelope, { idempotent });
  return parseResponse(request, response.body);
}

const getConfig = (client: WinRMTransport) =>
  call(client, buildGet(context(client.endpoint), randomUUID(), { resourceUri: ResourceUri.config }), true).then(
    (result) => readWinRMConfig(result.resource),
  );

async function createAndDeleteCmdShell(client: WinRMTransport): Promise<string> {
  const created = await call(
    client,
    buildCreate(context(client.endpoint), randomUUID(), {
      resourceUri: ResourceUri.cmd,
      shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] },
    }),
  );
  const shells = (await admin('GET', '/shells')) as { shell_id: string; owner: string }[];
  const owner = shells.find((shell) => shell.shell_id.toUpperCase() === created.shellId.toUpperCase())?.owner ?? '';
  await call(
    client,
    buildDelete(context(client.endpoint), randomUUID(), { resourceUri: ResourceUri.cmd, selectors: created.selectors }),
  );
  return owner;
}

describe('Basic and certificate authentication over HTTPS', () => {
  it('reads winrm/config with Basic, five requests on one keep-alive connection', async () => {
    const client = transport();
    const config = await getConfig(client);
    expect(config.service.auth).toMatchObject({ basic: true, certificate: true, credSsp: true });
    const connection = client.connection!;
    expect(connection.tls).toMatchObject({ trustBasis: 'chain', protocol: expect.stringMatching(/^TLSv1\.[23]$/) });
    for (let index = 0; index < 4; index++) await getConfig(client);
    expect(client.stats).toEqual({ connectionsOpened: 1, authentications: 1, requests: 5, replays: 0 });
    expect(client.connection).toMatchObject({ id: connection.id, localPort: connection.localPort });
  });

  it('creates and deletes a cmd shell as alice with Basic', async () => {
    expect(await createAndDeleteCmdShell(transport())).toBe('LAB\\alice');
  });

  it('creates and deletes a cmd shell as alice with her client certificate', async () => {
    const client = transport({ mechanism: certificateMechanism(clientCertificate()) });
    expect(await createAndDeleteCmdShell(client)).toBe(lab.client_cert_user);
  });

  it('reports a wrong password, and Basic disabled on the server, as AuthenticationErrors that say which', async () => {
    const wrong = transport({ mechanism: basicMechanism({ user: alice!.user, password: 'not-the-password' }) });
    await expect(getConfig(wrong)).rejects.toThrow(/rejected the Basic authentication.*user name and password/);
    await admin('POST', '/settings', { auth_basic: false });
    const disabled = await getConfig(transport()).catch((error: unknown) => error);
    expect(disabled).toBeInstanceOf(AuthenticationError);
    expect((disabled as Error).message).toMatch(/does not accept Basic authentication; it offers Negotiate, Kerberos/);
  });

  it('runs Basic over HTTP only when chosen explicitly and the server allows unencrypted traffic', async () => {
    const http = (): WinRMTransport => transport({ endpoint: lab.http_url, encryption: 'never', tls: undefined });
    expect(() => transport({ endpoint: lab.http_url, tls: undefined })).toThrow(/clear text/);
    await expect(getConfig(http())).rejects.toThrow(/AllowUnencrypted=true/);
    await admin('POST', '/settings', { allow_unencrypted: true });
    expect((await getConfig(http())).service.allowUnencrypted).toBe(true);
  });
});

describe('TLS trust decided by our policy', () => {
  const asking = (answer: TrustAnswer = { kind: 'reject' }) => {
    const requests: TrustRequest[] = [];
    return { requests, askTrust: async (request: TrustRequest) => (requests.push(request), answer) };
  };
  const tlsWith = (store: StaticTrustStore, askTrust: (request: TrustRequest) => Promise<TrustAnswer>) => ({
    store,
    tls: { trust: new StoreTrustPolicy(store), askTrust },
  });
  const certificateFile = (name: ServerCertName) => new X509Certificate(readFileSync(serverCerts[name].cert));

  it('asks about the lab chain when the lab CA is not trusted, with the details a dialog shows', async () => {
    const { requests, askTrust } = asking();
    const client = transport(tlsWith(new StaticTrustStore(), askTrust));
    await expect(getConfig(client)).rejects.toThrow(UntrustedCertificateError);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.problems).toEqual(['unknown-issuer']);
    expect(request!.hostName).toBe(lab.host_name);
    const [leaf, issuing] = request!.chain;
    expect(leaf!.subject).toBe(`O=WinRM Lab, CN=${lab.host_name}`);
    expect(leaf!.issuer).toBe('O=WinRM Lab, CN=WinRM Lab Issuing CA');
    expect(leaf!.subjectAltNames).toEqual([`DNS:${lab.host_name}`, 'DNS:localhost', 'IP Address:127.0.0.1']);
    expect(leaf!.fingerprintSha256).toBe(serverCerts.chain.fingerprint_sha256);
    expect(leaf!.validFrom.getTime()).toBeLessThan(Date.now());
    expect(leaf!.validTo.getTime()).toBeGreaterThan(Date.now());
    expect(issuing!.subject).toBe('O=WinRM Lab, CN=WinRM Lab Issuing CA');
    expect(issuing!.isCertificateAuthority).toBe(true);
  });

  it('proceeds after "trust the issuing CA" from the chain, and after "accept once"', async () => {
    const trustCa = asking({
      kind: 'trust-ca',
      certificate: parsePemCertificates(readFileSync(lab.issuing_ca as string))[0]!,
    });
    expect((await getConfig(transport(tlsWith(new StaticTrustStore(), trustCa.askTrust)))).maxEnvelopeSizeKb).toBe(500);
    const once = asking({ kind: 'accept-once' });
    const client = transport(tlsWith(new StaticTrustStore(), once.askTrust));
    await getConfig(client);
    expect(client.connection!.tls!.trustBasis).toBe('user');
  });

  it('accepts a pinned certificate without any CA', async () => {
    const store = new StaticTrustStore({ pins: { [lab.host_name]: [serverCerts.chain.fingerprint_sha256] } });
    const client = transport({ store });
    await getConfig(client);
    expect(client.connection!.tls!.trustBasis).toBe('pin');
  });

  it('asks about a certificate that names another host (the --host-name override matters)', async () => {
    const { requests, askTrust } = asking();
    await expect(
      getConfig(transport({ ...tlsWith(new StaticTrustStore({ caBundle }), askTrust), hostName: 'other.lab.test' })),
    ).rejects.toThrow(UntrustedCertificateError);
    expect(requests[0]!.problems).toEqual(['name-mismatch']);
  });

  it.each([
    ['self_signed', ['self-signed']],
    ['expired', ['expired']],
  ] as const)('asks about the %s certificate, naming the reason', async (name, problems) => {
    await admin('POST', '/server-cert', { name });
    const { requests, askTrust } = asking();
    await expect(getConfig(transport(tlsWith(new StaticTrustStore({ caBundle }), askTrust)))).rejects.toThrow(
      UntrustedCertificateError,
    );
    expect(requests[0]!.problems).toEqual(problems);
    expect(requests[0]!.chain[0]!.fingerprintSha256).toBe(serverCerts[name].fingerprint_sha256);
  });

  it('warns that the pinned certificate changed when the lab switches to another one', async () => {
    await admin('POST', '/server-cert', { name: 'self_signed' });
    const { requests, askTrust } = asking();
    const store = new StaticTrustStore({ caBundle, pins: { [lab.host_name]: [serverCerts.chain.fingerprint_sha256] } });
    await expect(getConfig(transport(tlsWith(store, askTrust)))).rejects.toThrow(/NOT THE CERTIFICATE PINNED/);
    expect(requests[0]!.problems).toEqual(['pinned-certificate-changed', 'self-signed']);
    expect(requests[0]!.pinnedFingerprints).toEqual([serverCerts.chain.fingerprint_sha256]);
  });

  it('accepts the SHA-384 certificate through the CA and binds the channel with SHA-384', async () => {
    await admin('POST', '/server-cert', { name: 'sha384' });
    const bindings: (Uint8Array | undefined)[] = [];
    const mechanism = basic();
    const spy: AuthMechanism = {
      ...mechanism,
      newContext: (info) => (bindings.push(info.channelBindings), mechanism.newContext(info)),
    };
    const client = transport({ mechanism: spy });
    await getConfig(client);
    const leaf = certificateFile('sha384');
    expect(client.connection!.tls!.peerCertificate.fingerprintSha256).toBe(serverCerts.sha384.fingerprint_sha256);
    expect(endPointHash(leaf.raw)).toBe('sha384');
    const expected = Buffer.concat([
      Buffer.from('tls-server-end-point:'),
      createHash('sha384').update(leaf.raw).digest(),
    ]);
    expect(Buffer.from(bindings[0]!)).toEqual(expected);
    expect(Buffer.from(client.connection!.tls!.channelBindings)).toEqual(expected);
    // The SHA-256-signed lab chain hashes with SHA-256.
    expect(endPointHash(certificateFile('chain').raw)).toBe('sha256');
    expect(tlsServerEndPoint(certificateFile('chain').raw)).toHaveLength(21 + 32);
  });
});

describe('faults the lab injects', () => {
  beforeAll(async () => {
    await admin('DELETE', '/faults');
  });

  it('reconnects and replays an idempotent Get once when the connection drops mid-response', async () => {
    const client = transport();
    await getConfig(client);
    await admin('POST', '/faults', { kind: 'drop' });
    expect((await getConfig(client)).maxEnvelopeSizeKb).toBe(500);
    expect(client.stats).toMatchObject({ connectionsOpened: 2, replays: 1 });
  });

  it('does not replay a Create when the connection drops mid-response', async () => {
    const client = transport();
    await admin('POST', '/faults', { kind: 'drop' });
    const created = buildCreate(context(client.endpoint), randomUUID(), {
      resourceUri: ResourceUri.cmd,
      shell: { inputStreams: ['stdin'], outputStreams: ['stdout'] },
    });
    const shellsBefore = new Set(((await admin('GET', '/shells')) as { shell_id: string }[]).map((s) => s.shell_id));
    const error = await client.post(created.envelope).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as ConnectionLostError).mayHaveBeenProcessed).toBe(true);
    // It was processed: the shell exists. Delete it over a new connection.
    const shells = (await admin('GET', '/shells')) as { shell_id: string }[];
    const orphan = shells.find((shell) => !shellsBefore.has(shell.shell_id));
    expect(orphan).toBeDefined();
    const selectors = [{ name: 'ShellId', value: orphan!.shell_id }];
    await call(
      client,
      buildDelete(context(client.endpoint), randomUUID(), { resourceUri: ResourceUri.cmd, selectors }),
    );
  });

  it('returns an HTTP 500 fault body for the WS-Man layer to parse', async () => {
    const client = transport();
    await admin('POST', '/faults', { kind: 'http_500', code: 2150858843, message: 'injected by the test' });
    const request = buildGet(context(client.endpoint), randomUUID(), { resourceUri: ResourceUri.config });
    const response = await client.post(request.envelope);
    expect(response.status).toBe(500);
    const fault = (() => {
      try {
        parseResponse(request, response.body);
      } catch (error) {
        return error;
      }
    })();
    expect(fault).toBeInstanceOf(WSManFault);
    expect((fault as WSManFault).code).toBe(2150858843);
  });

  it('keeps working after the lab forgets every security context (forced re-authentication)', async () => {
    for (const mechanism of [basic(), certificateMechanism(clientCertificate())]) {
      const client = transport({ mechanism });
      await getConfig(client);
      const { invalidated } = (await admin('POST', '/faults/invalidate-auth')) as { invalidated: number };
      expect(invalidated).toBeGreaterThan(0);
      await getConfig(client);
      expect(client.stats.authentications).toBe(1); // header-only mechanisms carry their proof on every request
    }
  });

  it('times out a response slower than the read timeout', async () => {
    const client = transport({ timeouts: { readMs: 1000, operationMs: 500 } });
    await getConfig(client);
    await admin('POST', '/faults', { kind: 'delay', delay_ms: 2500 });
    await expect(getConfig(client)).rejects.toThrow(ReadTimeoutError);
  });
});
