import { X509Certificate } from 'node:crypto';
import type { HostProfile } from '../../core/contract/host-profile';
import type { HostTrust } from '../../core/contract/trust';
import { selectMechanism, type AuthSelection } from '../session/auth-selection';
import type { SessionConnectionOptions } from '../session/session-options';
import { StaticTrustStore, StoreTrustPolicy, type TrustAnswer, type TrustRequest } from '../transport';

/** Methods that authenticate with the profile's user and a password. */
const PASSWORD_METHODS: readonly HostProfile['auth'][] = ['basic', 'ntlm', 'negotiate', 'credssp'];

/** Whether connecting to `host` needs a secret from the credential store (Kerberos can use the ccache). */
export function needsSecret(host: HostProfile): boolean {
  return PASSWORD_METHODS.includes(host.auth);
}

/** A setting of the profile the app cannot use yet; the session fails with this sentence. */
export class UnsupportedProfileError extends Error {
  override readonly name = 'UnsupportedProfileError';
}

export interface ConnectionInputs {
  readonly host: HostProfile;
  /** From the credential store; undefined for Kerberos with the credential cache. */
  readonly secret: string | undefined;
  readonly trust: HostTrust;
  /** The trust dialog's answer for a certificate the policy does not trust. */
  readonly askTrust: (request: TrustRequest) => Promise<TrustAnswer>;
}

/** `https://[::1]:5986/wsman` from the profile's transport, address and port. */
export function endpointOf(host: HostProfile): string {
  const address = host.address.includes(':') ? `[${host.address}]` : host.address;
  return `${host.transport}://${address}:${host.port}/wsman`;
}

/** The session's connection settings from a saved host (DESIGN.md §1 steps 1–3). */
export async function connectionFromProfile(inputs: ConnectionInputs): Promise<SessionConnectionOptions> {
  const { host, trust } = inputs;
  const { advanced } = host;
  const hostName = advanced.spnHostname ?? host.address;
  if (advanced.proxyUrl !== undefined)
    throw new UnsupportedProfileError('Connecting through a proxy is not available in the app yet.');
  const mechanism = await selectMechanism(authSelection(inputs), { hostName });
  const { connectSeconds, readSeconds, operationSeconds } = advanced.timeouts;
  return {
    transport: {
      endpoint: endpointOf(host),
      hostName: advanced.spnHostname,
      mechanism,
      encryption: advanced.messageEncryption,
      tls:
        host.transport === 'https'
          ? {
              trust: new StoreTrustPolicy(
                new StaticTrustStore({
                  hostCas: { [hostName]: trust.authorities.map((authority) => new X509Certificate(authority.pem)) },
                  pins: { [hostName]: trust.pinnedSha256 },
                }),
              ),
              askTrust: inputs.askTrust,
            }
          : undefined,
      timeouts: { connectMs: connectSeconds * 1000, readMs: readSeconds * 1000, operationMs: operationSeconds * 1000 },
      userAgent: 'WinRM-Desk',
    },
    ...(advanced.maxEnvelopeSizeKiB === undefined ? {} : { maxEnvelopeSize: advanced.maxEnvelopeSizeKiB * 1024 }),
  };
}

function authSelection({ host, secret }: ConnectionInputs): AuthSelection {
  switch (host.auth) {
    case 'kerberos':
      return { method: 'kerberos', userName: host.user === '' ? undefined : host.user, password: secret };
    case 'certificate':
      throw new UnsupportedProfileError('Certificate authentication is not available in the app yet.');
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
