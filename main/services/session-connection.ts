import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ClientCertificateReference, HostProfile } from '../../core/contract/host-profile';
import type { HostTrust } from '../../core/contract/trust';
import { selectMechanism, type AuthSelection } from '../session/auth-selection';
import type { SessionConnectionOptions } from '../session/session-options';
import type { CredentialStore } from '../stores/credential-store';
import {
  ClientCertificateError,
  httpProxyConnector,
  loadPemClientCertificate,
  loadPfxClientCertificate,
  StaticTrustStore,
  StoreTrustPolicy,
  type ClientCertificate,
  type ServerTrustOptions,
  type TcpConnector,
  type TrustAnswer,
  type TrustRequest,
} from '../transport';

/** Methods that authenticate with the profile's user and a password. */
const PASSWORD_METHODS: readonly HostProfile['auth'][] = ['basic', 'ntlm', 'negotiate', 'credssp'];

/**
 * Whether connecting to `host` needs a secret from the credential store before it starts (Kerberos can use
 * the ccache). Certificate authentication uses the host's secret as the passphrase of an encrypted key, which
 * only reading the key tells: it fails with PassphraseNeededError then.
 */
export function needsSecret(host: HostProfile): boolean {
  return PASSWORD_METHODS.includes(host.auth);
}

/** A setting of the profile the app cannot use yet; the session fails with this sentence. */
export class UnsupportedProfileError extends Error {
  override readonly name = 'UnsupportedProfileError';
}

/** The client certificate's key is encrypted and the host has no saved secret to decrypt it with. */
export class PassphraseNeededError extends Error {
  override readonly name = 'PassphraseNeededError';
}

/**
 * Client certificates kept in the OS keychain: the entry `client-certificate/<name>` of the app's keychain
 * service holds the PEM certificate (chain allowed) and its private key, as one text. A profile names the
 * entry by `<name>` only; host ids are UUIDs, so these entries never mix with a host's passwords.
 */
export const CLIENT_CERTIFICATE_KEYCHAIN_HOST = 'client-certificate';

export interface ConnectionInputs {
  readonly host: HostProfile;
  /** From the credential store; undefined for Kerberos with the credential cache. */
  readonly secret: string | undefined;
  readonly trust: HostTrust;
  /** The trust dialog's answer for a certificate the policy does not trust. */
  readonly askTrust: (request: TrustRequest) => Promise<TrustAnswer>;
  /** Where keychain client certificates are read (CLIENT_CERTIFICATE_KEYCHAIN_HOST). */
  readonly keychain?: Pick<CredentialStore, 'get'>;
}

/** `https://[::1]:5986/wsman` from the profile's transport, address and port. */
export function endpointOf(host: HostProfile): string {
  const address = host.address.includes(':') ? `[${host.address}]` : host.address;
  return `${host.transport}://${address}:${host.port}/wsman`;
}

/** What the server's identity is decided from: the host, its stored trust decisions, the trust dialog. */
export type ServerTrustInputs = Pick<ConnectionInputs, 'host' | 'trust' | 'askTrust'>;

/** The session's connection settings from a saved host (DESIGN.md §1 steps 1–3). */
export async function connectionFromProfile(inputs: ConnectionInputs): Promise<SessionConnectionOptions> {
  const { host } = inputs;
  const server = serverOf(inputs);
  const { maxEnvelopeSizeKiB, spnService, channelBinding, messageEncryption } = host.advanced;
  const mechanism = await selectMechanism(await authSelection(inputs), {
    hostName: server.hostName ?? host.address,
    spnService,
  });
  return {
    transport: { ...server, mechanism, encryption: messageEncryption, channelBinding, userAgent: 'WinRM-Desk' },
    ...(maxEnvelopeSizeKiB === undefined ? {} : { maxEnvelopeSize: maxEnvelopeSizeKiB * 1024 }),
  };
}

/**
 * How an HTTPS host's certificate is checked, exactly as its sessions check it (for verifyServerTrust, before a
 * password is asked for); undefined for an HTTP host, which presents none.
 */
export function serverTrustFromProfile(inputs: ServerTrustInputs): ServerTrustOptions | undefined {
  const server = serverOf(inputs);
  return server.tls === undefined ? undefined : server;
}

/**
 * Where the host's server is and the way there (directly or through its proxy), its timeouts and, over HTTPS, the
 * trust in its certificate (its stored pins and CAs).
 */
function serverOf({ host, trust, askTrust }: ServerTrustInputs): ServerTrustOptions {
  const { advanced } = host;
  const hostName = advanced.spnHostname ?? host.address;
  const { connectSeconds, readSeconds, operationSeconds } = advanced.timeouts;
  return {
    endpoint: endpointOf(host),
    hostName: advanced.spnHostname,
    ...(advanced.proxyUrl === undefined ? {} : { connector: proxyConnector(advanced.proxyUrl) }),
    tls:
      host.transport === 'https'
        ? {
            trust: new StoreTrustPolicy(
              new StaticTrustStore({
                hostCas: { [hostName]: trust.authorities.map((authority) => new X509Certificate(authority.pem)) },
                pins: { [hostName]: trust.pinnedSha256 },
              }),
            ),
            askTrust,
          }
        : undefined,
    timeouts: { connectMs: connectSeconds * 1000, readMs: readSeconds * 1000, operationMs: operationSeconds * 1000 },
  };
}

function proxyConnector(proxyUrl: string): TcpConnector {
  if (new URL(proxyUrl).protocol !== 'http:') {
    throw new UnsupportedProfileError(
      "Connecting to a proxy over TLS (https://) is not available in the app yet: use the proxy's http:// address.",
    );
  }
  return httpProxyConnector(proxyUrl);
}

async function authSelection(inputs: ConnectionInputs): Promise<AuthSelection> {
  const { host, secret } = inputs;
  switch (host.auth) {
    case 'kerberos':
      return { method: 'kerberos', userName: host.user === '' ? undefined : host.user, password: secret };
    case 'certificate':
      return { method: 'certificate', certificate: await clientCertificate(inputs) };
    case 'credssp':
      return {
        method: 'credssp',
        userName: host.user,
        password: secret ?? '',
        delegationConsent: host.advanced.credSspConsent,
      };
    default:
      return { method: host.auth, userName: host.user, password: secret ?? '' };
  }
}

/**
 * The profile's client certificate with its key: a PEM file holding the certificate (chain allowed) and the
 * key, a PKCS#12 file (.pfx/.p12), or a keychain entry holding such PEM text. An encrypted key is decrypted
 * with the host's saved secret; without one the connection waits for it (PassphraseNeededError).
 */
async function clientCertificate({ host, secret, keychain }: ConnectionInputs): Promise<ClientCertificate> {
  const reference = host.advanced.clientCertificate;
  if (reference === undefined) throw new ClientCertificateError('choose the client certificate in the host settings');
  const { bytes, where } = await certificateSource(reference, keychain);
  try {
    if (reference.source === 'file' && /\.(pfx|p12)$/i.test(reference.path)) {
      return loadPfxClientCertificate(bytes, secret ?? '');
    }
    const pem = bytes.toString('utf8');
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
      throw new ClientCertificateError('it holds no private key: put the key in the same PEM file, or use a .pfx file');
    }
    if (secret === undefined && /ENCRYPTED/.test(pem)) throw new PassphraseNeededError(passphraseNeeded(where));
    return loadPemClientCertificate({ certificate: bytes, privateKey: bytes, passphrase: secret });
  } catch (error) {
    if (error instanceof PassphraseNeededError) throw error;
    if (secret === undefined && /passphrase is wrong/.test((error as Error).message)) {
      throw new PassphraseNeededError(passphraseNeeded(where), { cause: error });
    }
    throw new ClientCertificateError(`The client certificate ${where} cannot be used: ${(error as Error).message}.`, {
      cause: error,
    });
  }
}

function passphraseNeeded(where: string): string {
  return `The key of the client certificate ${where} is encrypted: enter its passphrase as this host's password.`;
}

async function certificateSource(
  reference: ClientCertificateReference,
  keychain: Pick<CredentialStore, 'get'> | undefined,
): Promise<{ bytes: Buffer; where: string }> {
  if (reference.source === 'file') {
    const where = `file ${reference.path}`;
    try {
      return { bytes: await readFile(reference.path), where };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
      throw new ClientCertificateError(`The client certificate ${where} cannot be read: ${reason}.`, { cause: error });
    }
  }
  const where = `in the keychain entry ${reference.account}`;
  const text = await keychain?.get({ hostId: CLIENT_CERTIFICATE_KEYCHAIN_HOST, user: reference.account });
  if (text === undefined) {
    throw new ClientCertificateError(
      `There is no client certificate ${where} (${CLIENT_CERTIFICATE_KEYCHAIN_HOST}/${reference.account}).`,
    );
  }
  return { bytes: Buffer.from(text, 'utf8'), where };
}
