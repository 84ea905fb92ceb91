import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldProblems } from './field-problems';
import type { HostProfileDraftInput } from './host-profile';
import { AUTH_METHODS, hostProfileDraftSchema, hostProfileSchema } from './host-profile';

const ID = '0b7c9a1e-5f3d-4c2b-8a6e-1d2f3a4b5c6d';

function problemsOf(input: unknown): Record<string, string> {
  const result = hostProfileDraftSchema.safeParse(input);
  if (result.success) return {};
  const problems: Record<string, string> = {};
  for (const { field, message } of fieldProblems(result.error)) {
    if (field in problems) throw new Error(`two problems reported for ${field}: ${problems[field]} / ${message}`);
    problems[field] = message;
  }
  return problems;
}

describe('host profile schema', () => {
  it('fills the documented defaults: HTTPS 5986, Negotiate, PowerShell, encryption auto, CBT on, Ansible timeouts', () => {
    expect(hostProfileDraftSchema.parse({ name: 'web01', address: 'web01.corp.example.com' })).toEqual({
      name: 'web01',
      address: 'web01.corp.example.com',
      port: 5986,
      transport: 'https',
      auth: 'negotiate',
      user: '',
      shell: 'powershell',
      advanced: {
        channelBinding: true,
        messageEncryption: 'auto',
        timeouts: { connectSeconds: 30, readSeconds: 30, operationSeconds: 20 },
        credSspConsent: false,
      },
    });
  });

  it('defaults the port from the transport and keeps an explicit one', () => {
    expect(hostProfileDraftSchema.parse({ name: 'a', address: 'a', transport: 'http' }).port).toBe(5985);
    expect(hostProfileDraftSchema.parse({ name: 'a', address: 'a', transport: 'http', port: 8080 }).port).toBe(8080);
  });

  it('parses its own output to the same profile (what is saved loads unchanged)', () => {
    const draft: HostProfileDraftInput = {
      name: 'JEA box',
      address: '[2001:db8::1]',
      transport: 'http',
      auth: 'kerberos',
      user: 'alice@CORP.EXAMPLE.COM',
      configurationName: 'JEA_Maintenance',
      shell: 'cmd',
      advanced: {
        spnService: 'WSMAN',
        spnHostname: 'jea.corp.example.com',
        messageEncryption: 'always',
        maxEnvelopeSizeKiB: 500,
        timeouts: { readSeconds: 120, operationSeconds: 60 },
        proxyUrl: 'http://proxy.corp.example.com:3128',
        clientCertificate: { source: 'keychain', account: 'alice-smartcard' },
      },
    };
    const profile = hostProfileSchema.parse({ ...draft, id: ID, lastUsed: '2025-03-01T10:00:00.000Z' });
    expect(profile.address).toBe('2001:db8::1');
    expect(profile.advanced.timeouts.connectSeconds).toBe(30);
    expect(hostProfileSchema.parse(JSON.parse(JSON.stringify(profile)))).toEqual(profile);
  });

  it('stores blank optional text as absent', () => {
    const profile = hostProfileDraftSchema.parse({
      name: 'a',
      address: 'a',
      configurationName: '  ',
      advanced: { spnService: '', spnHostname: '', proxyUrl: '' },
    });
    expect(JSON.parse(JSON.stringify(profile))).not.toHaveProperty('configurationName');
    expect(Object.keys(JSON.parse(JSON.stringify(profile.advanced))).sort()).toEqual([
      'channelBinding',
      'credSspConsent',
      'messageEncryption',
      'timeouts',
    ]);
  });

  it('has no place for a secret: any extra key is refused with a message that says why', () => {
    for (const secretKey of ['password', 'secret', 'privateKey']) {
      expect(problemsOf({ name: 'a', address: 'a', [secretKey]: 'hunter2' })['']).toMatch(
        new RegExp(`Unknown setting "${secretKey}".*never passwords`),
      );
      expect(problemsOf({ name: 'a', address: 'a', advanced: { [secretKey]: 'hunter2' } })['advanced']).toMatch(
        /never passwords/,
      );
    }
    expect(
      problemsOf({
        name: 'a',
        address: 'a',
        auth: 'certificate',
        advanced: { clientCertificate: { source: 'file', path: '-----BEGIN PRIVATE KEY-----\nMIIE...' } },
      })['advanced.clientCertificate.path'],
    ).toBe('Choose the certificate file; do not paste the certificate or key here.');
  });

  it('explains a wrong address in words', () => {
    expect(problemsOf({ name: 'a', address: '' })).toEqual({ address: 'Enter the host name or IP address.' });
    expect(problemsOf({ name: 'a', address: 'https://web01:5986/wsman' })).toEqual({
      address: 'Enter only the host name or IP address, without https:// or a path.',
    });
    expect(problemsOf({ name: 'a', address: 'web01:5986' })).toEqual({
      address: 'Enter the port in the Port field, not after the host name.',
    });
    expect(problemsOf({ name: 'a', address: 'web 01' })).toEqual({
      address: 'This is not a valid host name or IP address.',
    });
  });

  it('explains wrong single fields in words', () => {
    expect(problemsOf({ name: ' ', address: 'a' })).toEqual({ name: 'Give the host a name.' });
    expect(problemsOf({ name: 'a', address: 'a', port: 70000 })).toEqual({
      port: 'The port is a whole number from 1 to 65535.',
    });
    expect(problemsOf({ name: 'a', address: 'a', auth: 'digest' })).toEqual({
      auth: 'Choose an authentication method: Negotiate, Basic, Certificate, NTLM, Kerberos or CredSSP.',
    });
    expect(problemsOf({ name: 'a', address: 'a', configurationName: 'My Endpoint' })).toEqual({
      configurationName: 'The configuration name cannot contain spaces, slashes or ? # & < > quotes.',
    });
    expect(problemsOf({ name: 'a', address: 'a', advanced: { proxyUrl: 'http://bob:pw@proxy:3128' } })).toEqual({
      'advanced.proxyUrl': 'Leave proxy credentials out of the URL; they are never stored in a profile.',
    });
    expect(problemsOf({ name: 'a', address: 'a', advanced: { proxyUrl: 'socks5://proxy:1080' } })).toEqual({
      'advanced.proxyUrl': 'The proxy URL starts with http:// or https://.',
    });
    expect(problemsOf({ name: 'a', address: 'a', advanced: { timeouts: { readSeconds: 20 } } })).toEqual({
      'advanced.timeouts.readSeconds': 'The read timeout must be longer than the operation timeout.',
    });
    expect(problemsOf({ name: 'a', address: 'a', advanced: { maxEnvelopeSizeKiB: 8 } })).toEqual({
      'advanced.maxEnvelopeSizeKiB': 'The envelope size is a whole number of KiB from 32 to 65535.',
    });
  });

  it('refuses combinations that cannot work, on the field to change', () => {
    expect(problemsOf({ name: 'a', address: 'a', auth: 'certificate', transport: 'http' })).toEqual({
      transport: 'Certificate authentication needs HTTPS.',
      'advanced.clientCertificate': 'Choose the client certificate for certificate authentication.',
    });
    expect(problemsOf({ name: 'a', address: 'a', auth: 'basic', advanced: { messageEncryption: 'always' } })).toEqual({
      'advanced.messageEncryption':
        'Basic and certificate authentication cannot encrypt messages: choose auto or never.',
    });
    expect(problemsOf({ name: 'a', address: 'a', auth: 'basic', transport: 'http' })).toEqual({
      'advanced.messageEncryption':
        'Basic over HTTP cannot be encrypted: use HTTPS, another method, or set message encryption to never on purpose.',
    });
    expect(
      problemsOf({
        name: 'a',
        address: 'a',
        auth: 'basic',
        transport: 'http',
        advanced: { messageEncryption: 'never' },
      }),
    ).toEqual({});
    expect(
      problemsOf({
        name: 'a',
        address: 'a',
        auth: 'certificate',
        advanced: { clientCertificate: { source: 'file', path: 'C:\\certs\\alice.pfx' } },
      }),
    ).toEqual({});
  });

  it('accepts every auth method that can encrypt over plain HTTP with encryption auto', () => {
    for (const auth of AUTH_METHODS.filter((method) => method !== 'basic' && method !== 'certificate')) {
      expect(problemsOf({ name: 'a', address: 'a', transport: 'http', auth }), auth).toEqual({});
    }
  });

  it('never throws on arbitrary input: it parses or reports problems', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const result = hostProfileSchema.safeParse(input);
        return result.success || result.error.issues.length > 0;
      }),
    );
  });
});
