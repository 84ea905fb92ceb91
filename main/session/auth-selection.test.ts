import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NtlmContext, NTLM_OID } from '../../core/auth/ntlm';
import { decodeAuthenticate } from '../../core/auth/ntlm/messages';
import { decodeNegotiationToken, encodeNegTokenResp, NegState, SpnegoContext } from '../../core/auth/spnego';
import { UsageError } from '../../core/errors';
import { negotiateMechanism, selectMechanism, type AuthEntropy } from './auth-selection';

// A CHALLENGE recorded from Windows SSPI (pyspnego's test data, ../shared/captures/tokens).
const windowsChallenge = readFileSync(new URL('../../../shared/captures/tokens/ntlm_challenge', import.meta.url));
const entropy: AuthEntropy = { randomBytes: (length) => new Uint8Array(length).fill(7), now: () => 1_700_000_000_000 };
const credentials = { userName: 'LAB\\alice', password: 'secret' };
const connection = { channelBindings: undefined, targetHostName: 'win-lab.lab.test' };
// Hermetic Kerberos: a realm whose KDC refuses connections at once, so Negotiate falls back to NTLM.
const offline = new URL('../../e2e/support/krb5-offline.conf', import.meta.url).pathname;
const target = { hostName: 'win-lab.lab.test', kerberos: { krb5ConfigPaths: [offline], environment: {} } };

const utf16 = (text: string) => Buffer.from(text, 'utf16le');

describe('selectMechanism', () => {
  it('makes Basic from a user and password, header-only and unable to seal', async () => {
    const basic = await selectMechanism({ method: 'basic', ...credentials }, target);
    expect(basic).toMatchObject({ name: 'Basic', httpScheme: 'Basic', connectionBound: false, canSeal: false });
  });

  it('makes raw NTLM in the Negotiate scheme with a fresh context per connection, naming the target host in its SPN', async () => {
    const ntlm = await selectMechanism({ method: 'ntlm', ...credentials }, target, entropy);
    expect(ntlm).toMatchObject({ name: 'NTLM', httpScheme: 'Negotiate', connectionBound: true, canSeal: true });
    const context = ntlm.newContext(connection);
    expect(context).toBeInstanceOf(NtlmContext);
    expect(ntlm.newContext(connection)).not.toBe(context);

    const negotiate = await context.step(undefined);
    expect(Buffer.from(negotiate.token!).subarray(0, 8).toString('latin1')).toBe('NTLMSSP\0');
    const authenticate = await context.step(windowsChallenge);
    expect(authenticate.kind).toBe('complete');
    const message = decodeAuthenticate(authenticate.token!);
    expect(message).toMatchObject({ userName: 'alice', domainName: 'LAB' });
    // MsvAvTargetName inside the NTLMv2 response: the SPN built from the host name the transport gives.
    expect(Buffer.from(message.ntChallengeResponse).includes(utf16('HTTP/win-lab.lab.test'))).toBe(true);
    expect(context.sealing).toBeDefined();
  });

  it("names the profile's SPN service class instead of HTTP in NTLM's MsvAvTargetName, raw and inside SPNEGO", async () => {
    const wsman = { ...target, spnService: 'WSMAN' };
    for (const method of ['ntlm', 'negotiate'] as const) {
      const context = (await selectMechanism({ method, ...credentials }, wsman, entropy)).newContext(connection);
      await context.step(undefined);
      // SPNEGO's reply wraps the CHALLENGE in a NegTokenResp; raw NTLM takes it as it is.
      const challenge =
        method === 'ntlm'
          ? windowsChallenge
          : encodeNegTokenResp({
              negState: NegState.acceptIncomplete,
              supportedMech: NTLM_OID,
              responseToken: windowsChallenge,
              mechListMic: undefined,
            });
      const authenticate = await context.step(challenge);
      const token = Buffer.from(authenticate.token!);
      expect(token.includes(utf16('WSMAN/win-lab.lab.test'))).toBe(true);
      expect(token.includes(utf16('HTTP/win-lab.lab.test'))).toBe(false);
    }
  });

  it('makes Negotiate as SPNEGO offering NTLM, whose first token is a NegTokenInit carrying NTLM NEGOTIATE', async () => {
    const negotiate = await selectMechanism({ method: 'negotiate', ...credentials }, target, entropy);
    expect(negotiate).toMatchObject({ name: 'Negotiate', httpScheme: 'Negotiate', connectionBound: true });
    const context = negotiate.newContext(connection);
    expect(context).toBeInstanceOf(SpnegoContext);
    const first = await context.step(undefined);
    const token = decodeNegotiationToken(first.token!);
    expect(token).toMatchObject({ type: 'init', mechTypes: [NTLM_OID] });
    expect((await context.credentialsRejected?.(undefined))?.message).toBe(
      'the server rejected the credentials of LAB\\alice using NTLM (Negotiate): check the user name, its domain and the password',
    );
  });

  it('refuses a Negotiate with nothing to offer', () => {
    expect(() => negotiateMechanism([])).toThrow(UsageError);
  });

  it('makes CredSSP only with the consent to delegate the password to this host', async () => {
    const credssp = await selectMechanism({ method: 'credssp', ...credentials, delegationConsent: true }, target);
    expect(credssp).toMatchObject({ name: 'CredSSP', httpScheme: 'CredSSP', connectionBound: true, canSeal: true });
    await expect(
      selectMechanism({ method: 'credssp', ...credentials, delegationConsent: false }, target),
    ).rejects.toThrow(/hands the password of LAB\\alice to the server: it needs the user's explicit consent/);
  });

  it('refuses an unusable user name before any connection', async () => {
    await expect(selectMechanism({ method: 'ntlm', userName: '', password: 'x' }, target)).rejects.toThrow(UsageError);
    await expect(selectMechanism({ method: 'negotiate', userName: 'A\\B\\c', password: 'x' }, target)).rejects.toThrow(
      /more than one backslash/,
    );
  });
});
