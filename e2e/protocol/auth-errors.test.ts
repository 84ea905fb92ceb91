import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { AuthenticationError as CoreAuthenticationError } from '../../core/auth/authentication-error';
import { KerberosAuthenticationError } from '../../core/auth/kerberos';
import { scriptPipeline, textOf } from '../../core/psrp/session';
import { selectMechanism, type AuthSelection } from '../../main/session/auth-selection';
import { PowerShellSession } from '../../main/session/powershell-session';
import { prepareKerberos, type KerberosOptions } from '../../main/kerberos';
import {
  AuthenticationError,
  EncryptionRequiredError,
  StaticTrustStore,
  StoreTrustPolicy,
  parsePemCertificates,
  type AuthMechanism,
  type EncryptionPolicy,
  type TransportAuthContext,
} from '../../main/transport';
import { labAdmin } from '../support/lab';

// The failures a user can fix, against the lab, each with the words that tell the user what to fix: a wrong
// password per mechanism, a host name without SPN, a skewed clock, an unreachable KDC, encryption refused
// by the server, a client without channel bindings under CbtHardeningLevel Strict, CredSSP disabled.

const lab = inject('lab');
const [alice] = lab.accounts;
const offlineKerberos = new URL('../support/krb5-offline.conf', import.meta.url).pathname;
const caBundle = parsePemCertificates(readFileSync(lab.ca_bundle));
const httpHost = new URL(lab.http_url).host;
const httpsHost = new URL(lab.https_url).host;
const principal = `alice@${lab.realm}`;
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const admin = labAdmin(lab);

afterEach(async () => {
  await admin('DELETE', '/faults');
  await admin('POST', '/settings/reset');
});

const labKerberos = { krb5ConfigPaths: [lab.krb5_conf as string], environment: {} };
const noKerberos = { krb5ConfigPaths: [offlineKerberos], environment: {} };

interface ConnectionChoice {
  readonly secure?: boolean;
  readonly encryption?: EncryptionPolicy;
}

/** Opens a PowerShell session, runs `$env:WINRM_LAB_USER` and returns what it printed. */
async function identity(
  mechanism: AuthMechanism<TransportAuthContext>,
  { secure = false, encryption }: ConnectionChoice = {},
): Promise<string[]> {
  const session = await PowerShellSession.open({
    transport: {
      endpoint: secure ? lab.https_url : lab.http_url,
      hostName: lab.host_name,
      mechanism,
      encryption,
      ...(secure && { tls: { trust: new StoreTrustPolicy(new StaticTrustStore({ caBundle })) } }),
    },
  });
  try {
    const printed: string[] = [];
    await session.invoke(scriptPipeline('$env:WINRM_LAB_USER'), { onOutput: (value) => printed.push(textOf(value)) })
      .finished;
    return printed;
  } finally {
    await session.close();
  }
}

/** What made `identity` fail; throws when it succeeded. */
async function failureOf(mechanism: AuthMechanism<TransportAuthContext>, choice?: ConnectionChoice): Promise<Error> {
  const printed = await identity(mechanism, choice).catch((error: Error) => error);
  if (printed instanceof Error) return printed;
  throw new Error(`the session ran as ${printed.join()} although it should have failed`);
}

const mechanismFor = (selection: AuthSelection, kerberos = noKerberos) =>
  selectMechanism(selection, { hostName: lab.host_name, kerberos });

const kerberosOptions = (overrides: Partial<KerberosOptions> = {}): KerberosOptions => ({
  ...labKerberos,
  user: principal,
  password: alice!.password,
  targetHostName: lab.host_name,
  ...overrides,
});

describe('a wrong password names the user and the mechanism', () => {
  const wrong = { userName: alice!.user, password: 'not-the-password' };

  it.each([
    ['NTLM', { method: 'ntlm', ...wrong }],
    ['Negotiate (NTLM inside SPNEGO)', { method: 'negotiate', ...wrong }],
  ] as const)('%s', async (_name, selection) => {
    const error = await failureOf(await mechanismFor(selection));
    expect(error).toBeInstanceOf(CoreAuthenticationError);
    expect(error.message).toMatch(/^the server rejected the credentials of LAB\\alice using NTLM/);
    expect(error.message).toMatch(/check the user name, its domain and the password($|\. The server said: )/);
    // Negotiate says why Kerberos was not tried (no KDC for the realm here): the cause, for the details.
    if (selection.method === 'negotiate') expect(String(error.cause)).toMatch(/Kerberos was not offered: \S/);
    else expect(error.cause).toBeUndefined();
  });

  it('Kerberos: the password fails against the KDC before any connection', async () => {
    const error = await mechanismFor({ method: 'kerberos', userName: principal, password: 'wrong' }, labKerberos).catch(
      (caught: Error) => caught,
    );
    expect(error).toBeInstanceOf(KerberosAuthenticationError);
    expect((error as KerberosAuthenticationError).kerberosFailure).toBe('wrong-password');
    // The lab's KDC answers without demanding pre-authentication, so the AS-REP is what fails to decrypt.
    expect((error as Error).message).toBe(
      `the KDC's reply for ${principal} does not decrypt with the password given: check the password`,
    );
  });

  it('Negotiate with a KDC at hand: Kerberos cannot be readied, NTLM is tried and names the user', async () => {
    const error = await failureOf(await mechanismFor({ method: 'negotiate', ...wrong }, labKerberos));
    expect(error.message).toMatch(/^the server rejected the credentials of LAB\\alice using NTLM/);
  });

  it('CredSSP: the server errorCode is reported with the user', async () => {
    const mechanism = await mechanismFor({ method: 'credssp', delegationConsent: true, ...wrong });
    const error = await failureOf(mechanism);
    expect(error.message).toMatch(
      /^the server rejected the credentials of LAB\\alice using CredSSP \(STATUS_LOGON_FAILURE, 0xC000006D/,
    );
  });
});

describe('Kerberos failures name what to check', () => {
  it('a host name override without SPN lists every SPN tried and points at the host name', async () => {
    const selection: AuthSelection = { method: 'kerberos', userName: principal, password: alice!.password };
    const error = await selectMechanism(selection, { hostName: 'alias.lab.test', kerberos: labKerberos }).catch(
      (caught: Error) => caught,
    );
    expect(error).toBeInstanceOf(KerberosAuthenticationError);
    expect((error as KerberosAuthenticationError).kerberosFailure).toBe('service-unknown');
    expect((error as Error).message).toContain(
      `knows none of the service principals tried: HTTP/alias.lab.test@${lab.realm}, ` +
        `host/alias.lab.test@${lab.realm}, WSMAN/alias.lab.test@${lab.realm}`,
    );
    expect((error as Error).message).toContain('Check the host name used for Kerberos');
  });

  it.each([
    // The skew is measured against the KDC's time, whole seconds read a moment after `now`: a second either way.
    [2 * 3600_000 + 3 * 60_000, '2 h (3 min|3 min 1 s|2 min 59 s) ahead of'],
    [-(47 * 60_000), '(47 min|47 min 1 s|46 min 59 s) behind'],
  ])('a clock off by %i ms shows the difference', async (offsetMs, shown) => {
    const now = () => Date.now() + offsetMs;
    const error = await prepareKerberos(kerberosOptions({ now })).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(KerberosAuthenticationError);
    expect((error as KerberosAuthenticationError).kerberosFailure).toBe('clock-skew');
    expect((error as Error).message).toMatch(
      new RegExp(`^this computer's clock is ${shown} the clock of the KDC of ${lab.realm} \\(`),
    );
    expect((error as Error).message).toMatch(/correct the date, time or time zone of this computer$/);
  });

  it('an unreachable KDC shows the address tried', async () => {
    const error = await prepareKerberos(kerberosOptions({ kdc: ['127.0.0.1:1'] })).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(KerberosAuthenticationError);
    expect((error as KerberosAuthenticationError).kerberosFailure).toBe('kdc-unreachable');
    expect((error as Error).message).toMatch(
      new RegExp(`^could not reach a KDC of realm ${lab.realm}: tried 127\\.0\\.0\\.1:1 \\(.*ECONNREFUSED.*\\)`),
    );
  });
});

describe('server policy the client does not meet', () => {
  it("encryption 'never' against AllowUnencrypted false says to encrypt or use HTTPS", async () => {
    const mechanism = await mechanismFor({ method: 'ntlm', userName: alice!.user, password: alice!.password });
    const error = await failureOf(mechanism, { encryption: 'never' });
    expect(error).toBeInstanceOf(EncryptionRequiredError);
    expect(error.message).toContain(`${httpHost} refused an unencrypted message`);
    expect(error.message).toContain(
      "It requires message encryption (AllowUnencrypted is false): use encryption 'auto' or 'always', or HTTPS.",
    );
  });

  it('CredSSP disabled on the server: says so and what the server offers instead', async () => {
    await admin('POST', '/settings', { auth_credssp: false });
    const mechanism = await mechanismFor({
      method: 'credssp',
      delegationConsent: true,
      userName: alice!.user,
      password: alice!.password,
    });
    const error = await failureOf(mechanism);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(
      new RegExp(`^${escaped(httpHost)} does not accept CredSSP authentication; it offers Negotiate`),
    );
    expect(error.message).toContain('Enable CredSSP in the WinRM service (winrm/config/service/auth)');
  });
});

/**
 * The mechanism as a client without channel-binding support would use it: every context is made as if the
 * connection had no TLS channel to bind to (the AuthConnectionInfo seam; no test-only option needed).
 */
function withoutChannelBindings(inner: AuthMechanism<TransportAuthContext>): AuthMechanism<TransportAuthContext> {
  return { ...inner, newContext: (info) => inner.newContext({ ...info, channelBindings: undefined }) };
}

describe('a client without channel bindings under CbtHardeningLevel Strict', () => {
  const ntlm: AuthSelection = { method: 'ntlm', userName: alice!.user, password: alice!.password };

  it("Kerberos is refused over HTTPS, with the server's reason", async () => {
    await admin('POST', '/settings', { cbt_hardening: 'Strict' });
    const selection: AuthSelection = { method: 'kerberos', userName: principal, password: alice!.password };
    const error = await failureOf(withoutChannelBindings(await mechanismFor(selection, labKerberos)), { secure: true });
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(new RegExp(`^${escaped(httpsHost)} rejected the Kerberos authentication`));
    expect(error.message).toContain('The server said: channel binding is required (CbtHardeningLevel Strict).');
  });

  it("NTLM is refused over HTTPS, with the server's reason", async () => {
    await admin('POST', '/settings', { cbt_hardening: 'Strict' });
    const error = await failureOf(withoutChannelBindings(await mechanismFor(ntlm)), { secure: true });
    expect(error.message).toMatch(/^the server rejected the credentials of LAB\\alice using NTLM/);
    expect(error.message).toContain('channel binding is required (CbtHardeningLevel Strict)');
  });

  it('the same NTLM client is accepted under Relaxed, so Strict is what refused it', async () => {
    await admin('POST', '/settings', { cbt_hardening: 'Relaxed' });
    expect(await identity(withoutChannelBindings(await mechanismFor(ntlm)), { secure: true })).toEqual(['LAB\\alice']);
  });
});
