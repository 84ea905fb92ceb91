import { AuthenticationError as CredentialsError } from '../../core/auth/authentication-error';
import { InvalidStateError, ProtocolError, UsageError } from '../../core/errors';
import { WSManFault } from '../../core/wsman';
import { WinRSOperationError } from '../session/winrs-session';
import { InterruptedError, OutputClosedError } from './terminal';
import {
  AuthenticationError,
  ClientCertificateError,
  TransportError,
  UntrustedCertificateError,
  type TrustRequest,
} from '../transport';

/** Exit codes of failures the CLI reports itself (a remote command's own exit code passes through). */
export const ExitCode = {
  /** The command line is wrong, or names something unusable (a file, a mechanism). */
  usage: 64,
  /** The host could not be reached, refused an operation, or the connection broke. */
  unavailable: 69,
  /** A bug in winrm-desk. */
  internal: 70,
  /** The server broke the protocol. */
  protocol: 76,
  /** The server refused the credentials or the mechanism. */
  authentication: 77,
  /** The server's TLS certificate is not trusted (see the message for --pin / --ca-file). */
  untrustedCertificate: 78,
  /** Interrupted (Ctrl+C twice). */
  interrupted: 130,
  /** The reader of the output went away (128 + SIGPIPE, as a shell reports it). */
  outputClosed: 141,
} as const;

export interface FailureReport {
  readonly exitCode: number;
  /** One plain sentence (and, for an untrusted certificate, its details and how to trust it). */
  readonly text: string;
}

/**
 * What the user reads when a run fails: what failed and what to do, without a stack trace for failures
 * that are expected (wrong password, untrusted certificate, unreachable host). `--debug` adds the details.
 */
export function reportFailure(error: unknown, debug: boolean): FailureReport {
  if (error instanceof OutputClosedError) return { exitCode: ExitCode.outputClosed, text: '' };
  const report = classify(error);
  const details = debug ? `\n${describeChain(error)}` : '';
  return { exitCode: report.exitCode, text: `winrm-desk: ${report.text}${details}\n` };
}

function classify(error: unknown): FailureReport {
  if (error instanceof InterruptedError) return { exitCode: ExitCode.interrupted, text: sentence(error.message) };
  if (error instanceof UntrustedCertificateError) {
    return { exitCode: ExitCode.untrustedCertificate, text: untrustedCertificateText(error.request) };
  }
  if (error instanceof AuthenticationError || error instanceof CredentialsError) {
    return { exitCode: ExitCode.authentication, text: sentence(error.message) };
  }
  if (error instanceof InvalidStateError) return internal(error);
  if (error instanceof UsageError || error instanceof ClientCertificateError) {
    return { exitCode: ExitCode.usage, text: sentence(error.message) };
  }
  if (error instanceof TransportError || error instanceof WinRSOperationError)
    return { exitCode: ExitCode.unavailable, text: sentence(error.message) };
  if (error instanceof WSManFault) {
    return { exitCode: ExitCode.unavailable, text: sentence(`the server refused the request: ${error.message}`) };
  }
  if (error instanceof ProtocolError) {
    return {
      exitCode: ExitCode.protocol,
      text: sentence(`the server broke the protocol (${error.message}); run again with --debug for details`),
    };
  }
  return internal(error);
}

function internal(error: unknown): FailureReport {
  const message = error instanceof Error ? error.message : String(error);
  return {
    exitCode: ExitCode.internal,
    text: sentence(`internal error: ${message}; run again with --debug and report the output`),
  };
}

function untrustedCertificateText(request: TrustRequest): string {
  const leaf = request.chain[0];
  const lines = [sentence(`the TLS certificate of ${request.hostName} is not trusted: ${problemsOf(request)}`)];
  if (leaf !== undefined) {
    lines.push(
      `  Subject:  ${leaf.subject}`,
      `  Issuer:   ${leaf.issuer}`,
      `  SHA-256:  ${leaf.fingerprintSha256}`,
      'If this is the right server, trust it with one of:',
      `  --pin ${leaf.fingerprintSha256}   (this exact certificate)`,
      '  --ca-file ISSUING-CA.pem   (certificates of that CA, e.g. your AD CS root)',
    );
  }
  return lines.join('\n');
}

const PROBLEMS: Readonly<Record<TrustRequest['problems'][number], string>> = {
  'unknown-issuer': 'it is issued by a CA that is not trusted',
  'self-signed': 'it is self-signed',
  expired: 'it (or a certificate of its chain) has expired',
  'not-yet-valid': 'it (or a certificate of its chain) is not valid yet',
  'name-mismatch': 'it is not issued for this host name (see --host-name)',
  'not-for-server-auth': 'it is not meant for TLS servers',
  'pinned-certificate-changed': 'IT IS NOT THE PINNED CERTIFICATE: it was replaced, or the connection is intercepted',
};

function problemsOf(request: TrustRequest): string {
  return request.problems.map((problem) => PROBLEMS[problem]).join('; ');
}

/** Ends with a full stop, once. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function describeChain(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}
