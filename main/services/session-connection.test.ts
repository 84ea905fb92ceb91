import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from '../../e2e/support/pki';
import { hostProfileSchema, type ClientCertificateReference } from '../../core/contract/host-profile';
import { InMemoryCredentialStore } from '../stores/memory-credential-store';
import {
  CLIENT_CERTIFICATE_KEYCHAIN_HOST,
  connectionFromProfile,
  needsSecret,
  PassphraseNeededError,
  serverTrustFromProfile,
  UnsupportedProfileError,
} from './session-connection';
import {
  CLIENT_KEY_PASSPHRASE,
  newClientCertificate,
  writeClientCertificateFile,
} from './test-support/client-certificate-file';
import { temporaryDirectory } from './test-support/temporary-app';

// Certificate authentication from a saved host: the file or keychain entry the profile names, its key's
// passphrase from the host's secret. The lab signs in with such a certificate in e2e/protocol/cmd-console.test.ts;
// session-service.test.ts shows the session waiting for the passphrase.

// A CHALLENGE recorded from Windows SSPI (pyspnego's test data, ../shared/captures/tokens).
const windowsChallenge = readFileSync(new URL('../../../shared/captures/tokens/ntlm_challenge', import.meta.url));

const { certificate, key, encryptedKey } = newClientCertificate();

let directory: string;
let removeDirectory: () => Promise<void>;
beforeAll(async () => {
  ({ directory, removeDirectory } = await temporaryDirectory());
});
afterAll(() => removeDirectory());

const host = (clientCertificate: ClientCertificateReference) =>
  hostProfileSchema.parse({
    id: randomUUID(),
    name: 'web01',
    address: 'web01.corp.example',
    auth: 'certificate',
    advanced: { clientCertificate },
  });

const file = (name: string, text: string) => writeClientCertificateFile(directory, name, text);

const connect = (reference: ClientCertificateReference, secret?: string, keychain = new InMemoryCredentialStore()) =>
  connectionFromProfile({
    host: host(reference),
    secret,
    trust: { pinnedSha256: [], authorities: [] },
    askTrust: async () => ({ kind: 'reject' }),
    keychain,
  });

describe('client certificates from a host profile', () => {
  it('does not ask for a secret up front', () => {
    expect(needsSecret(host({ source: 'file', path: '/c.pem' }))).toBe(false);
  });

  it('loads a PEM file holding the certificate and its key', async () => {
    const connection = await connect(await file('plain.pem', certificate.pem + key.pem));
    expect(connection.transport.mechanism.clientCertificate?.subject).toContain('CN=alice');
  });

  it("decrypts an encrypted key with the host's secret, and asks for it when there is none", async () => {
    const reference = await file('encrypted.pem', certificate.pem + encryptedKey);
    const connection = await connect(reference, CLIENT_KEY_PASSPHRASE);
    expect(connection.transport.mechanism.clientCertificate?.subject).toContain('CN=alice');
    await expect(connect(reference)).rejects.toThrow(PassphraseNeededError);
    await expect(connect(reference, 'wrong')).rejects.toThrow(
      /^The client certificate file .*encrypted\.pem cannot be used: the private key passphrase is wrong\.$/,
    );
  });

  it('says plainly what is wrong with the file', async () => {
    await expect(connect({ source: 'file', path: path.join(directory, 'absent.pem') })).rejects.toThrow(
      /absent\.pem cannot be read: it does not exist\.$/,
    );
    await expect(connect(await file('certificate-only.pem', certificate.pem))).rejects.toThrow(
      /cannot be used: it holds no private key/,
    );
    await expect(connect(await file('other-key.pem', certificate.pem + newKey().pem))).rejects.toThrow(
      /the private key does not belong to the client certificate/,
    );
  });

  it('reads a keychain entry by its name', async () => {
    const keychain = new InMemoryCredentialStore();
    await keychain.set({ hostId: CLIENT_CERTIFICATE_KEYCHAIN_HOST, user: 'alice admin' }, certificate.pem + key.pem);
    const connection = await connect({ source: 'keychain', account: 'alice admin' }, undefined, keychain);
    expect(connection.transport.mechanism.clientCertificate?.subject).toContain('CN=alice');
    await expect(connect({ source: 'keychain', account: 'nobody' }, undefined, keychain)).rejects.toThrow(
      'There is no client certificate in the keychain entry nobody (client-certificate/nobody).',
    );
  });
});

describe("a host profile's advanced connection options", () => {
  const advancedHost = (advanced: Record<string, unknown>) =>
    hostProfileSchema.parse({
      id: randomUUID(),
      name: 'web01',
      address: 'web01.corp.example',
      user: 'CORP\\alice',
      auth: 'ntlm',
      advanced,
    });
  const inputs = {
    secret: 'pw',
    trust: { pinnedSha256: [], authorities: [] },
    askTrust: async () => ({ kind: 'reject' }) as const,
  };

  it('binds to the TLS channel by default and not when the profile says so', async () => {
    expect((await connectionFromProfile({ ...inputs, host: advancedHost({}) })).transport.channelBinding).toBe(true);
    const unbound = await connectionFromProfile({ ...inputs, host: advancedHost({ channelBinding: false }) });
    expect(unbound.transport.channelBinding).toBe(false);
  });

  it('connects through the proxy, for the session and for the certificate check before it; only http:// proxies', async () => {
    const direct = await connectionFromProfile({ ...inputs, host: advancedHost({}) });
    expect(direct.transport.connector).toBeUndefined();
    const host = advancedHost({ proxyUrl: 'http://proxy.corp.example:3128' });
    expect((await connectionFromProfile({ ...inputs, host })).transport.connector).toBeTypeOf('function');
    expect(serverTrustFromProfile({ ...inputs, host })?.connector).toBeTypeOf('function');
    await expect(
      connectionFromProfile({ ...inputs, host: advancedHost({ proxyUrl: 'https://proxy.corp.example:3128' }) }),
    ).rejects.toThrow(UnsupportedProfileError);
  });

  it('authenticates to the SPN service class of the profile', async () => {
    const { transport } = await connectionFromProfile({ ...inputs, host: advancedHost({ spnService: 'WSMAN' }) });
    const context = transport.mechanism.newContext({
      channelBindings: undefined,
      targetHostName: 'web01.corp.example',
    });
    await context.step(undefined);
    const authenticate = await context.step(windowsChallenge);
    expect(Buffer.from(authenticate.token!).includes(Buffer.from('WSMAN/web01.corp.example', 'utf16le'))).toBe(true);
  });
});
