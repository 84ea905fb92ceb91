import { readFile } from 'node:fs/promises';
import type { HostProfile, HostProfileDraftInput } from '../../core/contract/host-profile';
import type { MainServices } from '../../main/index';
import type { LabDescriptor } from './lab';

export interface LabHostOptions {
  /** Fields over the default draft: Basic over HTTPS to the lab as its first account (alice). */
  readonly draft?: Partial<HostProfileDraftInput>;
  /** Imports the lab's root and issuing CA for this host (default); false leaves the certificate to the trust dialog. */
  readonly trustCa?: boolean;
  /**
   * Saves alice's password for the host, remembered in the keychain or for this run only, so connecting asks
   * nothing; absent, the app asks in its sign-in dialog.
   */
  readonly password?: 'remembered' | 'this run';
}

/**
 * Saves a host to the lab through the app's services, as a test or benchmark sets one up before the user
 * connects. Free of the test runner: the app benchmark uses it too.
 */
export async function addLabHost(
  services: Pick<MainServices, 'hosts' | 'trust' | 'credentials'>,
  lab: LabDescriptor,
  { draft = {}, trustCa = true, password }: LabHostOptions = {},
): Promise<HostProfile> {
  const alice = lab.accounts[0]!;
  const host = await services.hosts.add({
    draft: {
      name: 'lab',
      address: '127.0.0.1',
      port: Number(new URL(lab.https_url).port),
      transport: 'https',
      auth: 'basic',
      user: alice.user,
      advanced: { spnHostname: lab.host_name },
      ...draft,
    },
  });
  if (trustCa) {
    for (const file of [lab['root_ca'], lab['issuing_ca']] as string[]) {
      const pem = await readFile(file, 'utf8');
      await services.trust.importAuthority({ scope: { kind: 'host', hostId: host.id }, pem });
    }
  }
  if (password !== undefined) {
    await services.credentials.setSecret({
      hostId: host.id,
      user: alice.user,
      secret: alice.password,
      remember: password === 'remembered',
    });
  }
  return host;
}
