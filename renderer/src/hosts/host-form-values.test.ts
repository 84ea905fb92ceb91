import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldProblems } from '../../../core/contract/field-problems';
import { hostProfileDraftSchema, hostProfileSchema } from '../../../core/contract/host-profile';
import {
  draftFromHostFormValues,
  emptyHostFormValues,
  formFieldOfProblem,
  hostFormValuesFromProfile,
  withTransport,
} from './host-form-values';

const id = '00000000-0000-4000-8000-00000000000a';

describe('the host form values', () => {
  it('start with the schema defaults: HTTPS 5986, Negotiate, encryption auto, channel binding on', () => {
    const draft = hostProfileDraftSchema.parse(
      draftFromHostFormValues({ ...emptyHostFormValues(), name: 'web01', address: 'web01.corp' }),
    );
    const defaults = hostProfileDraftSchema.parse({ name: 'web01', address: 'web01.corp' });
    expect(draft).toEqual(defaults);
    expect(draft).toMatchObject({ port: 5986, transport: 'https', auth: 'negotiate' });
    expect(draft.advanced).toMatchObject({ messageEncryption: 'auto', channelBinding: true });
  });

  it('let the port follow the transport until the user types one', () => {
    const http = withTransport(emptyHostFormValues(), 'http');
    expect(http.port).toBe('5985');
    const edited = { ...http, port: '8080', portEdited: true };
    expect(withTransport(edited, 'https').port).toBe('8080');
    expect(withTransport(withTransport(http, 'https'), 'http').port).toBe('5985');
  });

  it('round-trip every saved profile through the form unchanged', () => {
    const profiles = [
      { id, name: 'a', address: 'a.corp' },
      {
        id,
        name: 'jea',
        address: '192.0.2.7',
        port: 443,
        transport: 'https',
        auth: 'certificate',
        user: '',
        configurationName: 'JEA.Maintenance',
        shell: 'cmd',
        groupId: '00000000-0000-4000-8000-00000000000b',
        advanced: {
          spnService: 'WSMAN',
          spnHostname: 'web01.corp',
          channelBinding: false,
          messageEncryption: 'never',
          maxEnvelopeSizeKiB: 512,
          timeouts: { connectSeconds: 5, readSeconds: 100, operationSeconds: 60 },
          proxyUrl: 'http://proxy:3128',
          credSspConsent: true,
          clientCertificate: { source: 'keychain', account: 'admin-cert' },
        },
      },
    ] as const;
    for (const input of profiles) {
      const profile = hostProfileSchema.parse(input);
      const { id: _id, lastUsed: _lastUsed, ...settings } = profile;
      expect(hostProfileDraftSchema.parse(draftFromHostFormValues(hostFormValuesFromProfile(profile)))).toEqual(
        settings,
      );
    }
  });

  it('report typed numbers that are not numbers on their own fields', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,5}$/), (text) => {
        const values = { ...emptyHostFormValues(), name: 'x', address: 'x', port: text, readSeconds: text };
        const parsed = hostProfileDraftSchema.safeParse(draftFromHostFormValues(values));
        expect(parsed.success).toBe(false);
        const fields = parsed.success ? [] : fieldProblems(parsed.error).map((p) => formFieldOfProblem(p.field));
        expect(fields).toContain('port');
        expect(fields).toContain('advanced.timeouts.readSeconds');
      }),
    );
  });

  it('map the problems of the client certificate and of the service’s draft to one field each', () => {
    expect(formFieldOfProblem('advanced.clientCertificate.path')).toBe('advanced.clientCertificate');
    expect(formFieldOfProblem('draft.address')).toBe('address');
  });
});
