import { describe, expect, it } from 'vitest';
import { AuthenticationError as CredentialsError } from '../../core/auth/authentication-error';
import { InvalidStateError, ProtocolError, UsageError } from '../../core/errors';
import { WSManFault } from '../../core/wsman';
import { WinRSOperationError } from '../session/winrs-session';
import {
  AuthenticationError,
  ConnectError,
  UntrustedCertificateError,
  type CertificateSummary,
  type TrustRequest,
} from '../transport';
import { exitStatus } from './cmd-command';
import { ExitCode, reportFailure } from './failure-report';
import { InterruptedError, OutputClosedError } from './terminal';

const endpoint = 'https://h:5986/wsman';
const fault = new WSManFault('The system cannot find the file specified.', {
  code: 2147942402,
  machine: 'h',
  soapCode: undefined,
  subcode: undefined,
  reason: undefined,
  faultDetail: undefined,
  providerFault: undefined,
  action: undefined,
});
const leaf = {
  subject: 'CN=h',
  issuer: 'CN=Corp CA',
  fingerprintSha256: 'ab'.repeat(32),
} as CertificateSummary;
const untrusted: TrustRequest = { hostName: 'h', problems: ['unknown-issuer'], chain: [leaf], pinnedFingerprints: [] };

describe('reportFailure', () => {
  it.each([
    [new UsageError('bad option'), ExitCode.usage, 'winrm-desk: bad option.\n'],
    [
      new ConnectError('could not connect to h:5986', endpoint),
      ExitCode.unavailable,
      'winrm-desk: could not connect to h:5986.\n',
    ],
    [
      CredentialsError.credentialsRejected('LAB\\alice', 'NTLM'),
      ExitCode.authentication,
      'winrm-desk: the server rejected the credentials of LAB\\alice using NTLM: check the user name, its domain and the password.\n',
    ],
    [
      new AuthenticationError('h does not accept Basic.', endpoint, 'Basic', []),
      ExitCode.authentication,
      'winrm-desk: h does not accept Basic.\n',
    ],
    [
      new WinRSOperationError('Command', fault),
      ExitCode.unavailable,
      'winrm-desk: the server refused to start the command: The system cannot find the file specified.\n',
    ],
    [
      new ProtocolError('bad fragment'),
      ExitCode.protocol,
      'winrm-desk: the server broke the protocol (bad fragment); run again with --debug for details.\n',
    ],
    [
      new InvalidStateError('m', 'go', 'done', []),
      ExitCode.internal,
      'winrm-desk: internal error: m: cannot go in state done; allowed in: no state; run again with --debug and report the output.\n',
    ],
    [new InterruptedError('interrupted'), ExitCode.interrupted, 'winrm-desk: interrupted.\n'],
    [new OutputClosedError('closed'), ExitCode.outputClosed, ''],
  ])('reports %s in one sentence without a stack trace', (error, exitCode, text) => {
    expect(reportFailure(error, false)).toEqual({ exitCode, text });
  });

  it('shows an untrusted certificate with its details and the options that trust it', () => {
    const report = reportFailure(new UntrustedCertificateError(untrusted, endpoint), false);
    expect(report.exitCode).toBe(ExitCode.untrustedCertificate);
    expect(report.text).toBe(
      [
        'winrm-desk: the TLS certificate of h is not trusted: it is issued by a CA that is not trusted.',
        '  Subject:  CN=h',
        '  Issuer:   CN=Corp CA',
        `  SHA-256:  ${'ab'.repeat(32)}`,
        'If this is the right server, trust it with one of:',
        `  --pin ${'ab'.repeat(32)}   (this exact certificate)`,
        '  --ca-file ISSUING-CA.pem   (certificates of that CA, e.g. your AD CS root)',
        '',
      ].join('\n'),
    );
  });

  it('adds the stack and the causes with --debug', () => {
    const error = new ConnectError('could not connect', endpoint, { cause: new Error('ECONNREFUSED') });
    const text = reportFailure(error, true).text;
    expect(text).toMatch(/^winrm-desk: could not connect\.\nConnectError: could not connect\n\s+at /);
    expect(text).toContain('caused by:\nError: ECONNREFUSED');
  });
});

describe('exitStatus', () => {
  it('passes 0–255 through and never lets a failure wrap around to success', () => {
    expect([0, 3, 255].map(exitStatus)).toEqual([0, 3, 255]);
    expect(exitStatus(0xc000013a)).toBe(0x3a);
    expect(exitStatus(256)).toBe(1);
    expect(exitStatus(-1)).toBe(255);
  });
});
