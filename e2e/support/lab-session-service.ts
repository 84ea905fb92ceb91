import { randomUUID } from 'node:crypto';
import { hostProfileSchema, type HostProfile, type HostProfileInput } from '../../core/contract/host-profile';
import type { HostTrust } from '../../core/contract/trust';
import { SessionServiceImpl, type SessionServiceDependencies } from '../../main/services/session-service';
import type { LabDescriptor } from './lab';

/**
 * A saved host to the lab for tests of the session service: NTLM over HTTP as the lab's first account (alice)
 * with message encryption always, authenticating as the lab's host name; `settings` replace fields.
 */
export function labHostProfile(lab: LabDescriptor, settings: Partial<HostProfileInput> = {}): HostProfile {
  return hostProfileSchema.parse({
    id: randomUUID(),
    name: 'lab',
    address: '127.0.0.1',
    port: Number(new URL(lab.http_url).port),
    transport: 'http',
    auth: 'ntlm',
    user: lab.accounts[0]!.user,
    advanced: { spnHostname: lab.host_name, messageEncryption: 'always' },
    ...settings,
  });
}

export interface SessionServiceForOptions {
  /** The secret saved for the host; undefined: none. */
  readonly secret: string | undefined;
  /** The host's stored pins and CAs; none unless given. */
  readonly hostTrust?: HostTrust;
  readonly terminalFlowControl?: SessionServiceDependencies['terminalFlowControl'];
}

/**
 * The app's session service over one saved host, as main composes it but with the stores answered here: the
 * host, its secret and its stored trust. A trust question is refused: a test sets trust up front.
 */
export function sessionServiceFor(
  host: HostProfile,
  { secret, hostTrust = { pinnedSha256: [], authorities: [] }, terminalFlowControl }: SessionServiceForOptions,
): SessionServiceImpl {
  return new SessionServiceImpl({
    hosts: { host: () => host, markUsed: async () => undefined },
    credentials: { secretFor: async () => secret },
    trust: { requestDecision: async () => ({ kind: 'reject' }) },
    hostTrust: () => hostTrust,
    newId: randomUUID,
    terminalFlowControl,
  });
}
