import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../../core/errors';
import { AUTH_METHODS, type AuthMethod } from '../session/auth-selection';
import type { EncryptionPolicy } from '../transport';

/** The command line was wrong: the message says what and how to write it. */
export class CliUsageError extends UsageError {
  override readonly name = 'CliUsageError';
}

export type PasswordSource = { readonly kind: 'env'; readonly variable: string } | { readonly kind: 'stdin' };

/** The options every subcommand shares: where to connect and how to authenticate. */
export interface ConnectionArguments {
  readonly url: string;
  readonly auth: AuthMethod;
  readonly user: string | undefined;
  readonly password: PasswordSource | undefined;
  readonly certificateFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly caFile: string | undefined;
  readonly pins: readonly string[];
  readonly hostName: string | undefined;
  readonly encryption: EncryptionPolicy;
  /** The user's consent to hand the password to the server (CredSSP). */
  readonly allowDelegation: boolean;
  /** Bytes. */
  readonly envelopeSize: number | undefined;
  readonly debug: boolean;
}

export type Invocation =
  | { readonly kind: 'help'; readonly subcommand: Subcommand | undefined }
  | { readonly kind: 'cmd'; readonly connection: ConnectionArguments; readonly commandLine: string }
  | {
      readonly kind: 'exec';
      readonly connection: ConnectionArguments;
      readonly configuration: string | undefined;
      readonly json: boolean;
      readonly script: string;
    }
  | { readonly kind: 'shell'; readonly connection: ConnectionArguments; readonly configuration: string | undefined };

export const SUBCOMMANDS = ['cmd', 'exec', 'shell'] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

const ENCRYPTION_POLICIES: readonly EncryptionPolicy[] = ['auto', 'always', 'never'];

const connectionOptions = {
  url: { type: 'string' },
  auth: { type: 'string' },
  user: { type: 'string' },
  'password-env': { type: 'string' },
  'password-stdin': { type: 'boolean' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'ca-file': { type: 'string' },
  pin: { type: 'string', multiple: true },
  'host-name': { type: 'string' },
  encryption: { type: 'string' },
  'envelope-size': { type: 'string' },
  'allow-delegation': { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const powerShellOptions = {
  ...connectionOptions,
  configuration: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const execOptions = { ...powerShellOptions, json: { type: 'boolean' } } as const satisfies ParseArgsConfig['options'];

/** Reads `winrm-desk <subcommand> [options] -- <command line>`; throws CliUsageError with what to fix. */
export function parseInvocation(argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const topic = rest[0];
    return { kind: 'help', subcommand: isSubcommand(topic) ? topic : undefined };
  }
  if (!isSubcommand(first)) {
    throw new CliUsageError(`unknown subcommand ${JSON.stringify(first)}: use one of ${SUBCOMMANDS.join(', ')}`);
  }
  switch (first) {
    case 'cmd': {
      const { values, positionals } = parse(rest, connectionOptions);
      if (values.help === true) return { kind: 'help', subcommand: first };
      return { kind: 'cmd', connection: connection(values), commandLine: trailing(positionals, 'a command line') };
    }
    case 'exec': {
      const { values, positionals } = parse(rest, execOptions);
      if (values.help === true) return { kind: 'help', subcommand: first };
      return {
        kind: 'exec',
        connection: connection(values),
        configuration: values.configuration,
        json: values.json === true,
        script: trailing(positionals, 'a PowerShell script'),
      };
    }
    case 'shell': {
      const { values, positionals } = parse(rest, powerShellOptions);
      if (values.help === true) return { kind: 'help', subcommand: first };
      if (positionals.length > 0) throw new CliUsageError('shell takes no command: it starts an interactive prompt');
      return { kind: 'shell', connection: connection(values), configuration: values.configuration };
    }
  }
}

function isSubcommand(word: string | undefined): word is Subcommand {
  return (SUBCOMMANDS as readonly (string | undefined)[]).includes(word);
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliUsageError(describeParseFailure(error as Error & { code?: string }));
  }
}

function describeParseFailure(error: Error & { code?: string }): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  if (option === '--password' || option?.startsWith('--password=') === true) {
    return 'there is no --password option, so that secrets never appear in process lists or shell history: use --password-env VARIABLE or --password-stdin';
  }
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return `unknown option ${option ?? ''}: see winrm-desk help; put the remote command after --`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option ${option ?? ''} needs a value`;
  return error.message;
}

type ConnectionValues = {
  readonly [K in keyof typeof connectionOptions]?: (typeof connectionOptions)[K] extends { multiple: true }
    ? string[]
    : (typeof connectionOptions)[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

function connection(values: ConnectionValues): ConnectionArguments {
  const url = values.url;
  if (url === undefined) throw new CliUsageError('--url is required, e.g. --url https://server.example.com:5986/wsman');
  const auth = oneOf('--auth', values.auth, AUTH_METHODS) ?? (values.cert === undefined ? 'negotiate' : 'certificate');
  const encryption = oneOf('--encryption', values.encryption, ENCRYPTION_POLICIES) ?? 'auto';
  if (values['password-env'] !== undefined && values['password-stdin'] === true) {
    throw new CliUsageError('use either --password-env or --password-stdin, not both');
  }
  const password: PasswordSource | undefined =
    values['password-env'] !== undefined
      ? { kind: 'env', variable: values['password-env'] }
      : values['password-stdin'] === true
        ? { kind: 'stdin' }
        : undefined;
  if (auth === 'certificate') {
    if (values.cert === undefined) throw new CliUsageError('--auth certificate needs --cert FILE (and --key FILE)');
  } else {
    if (values.user === undefined && auth !== 'kerberos') {
      throw new CliUsageError(`--auth ${auth} needs --user (e.g. DOMAIN\\user)`);
    }
    if (values.cert !== undefined) throw new CliUsageError(`--cert is for --auth certificate, not ${auth}`);
  }
  if (values.key !== undefined && values.cert === undefined) throw new CliUsageError('--key needs --cert');
  const allowDelegation = values['allow-delegation'] === true;
  if (auth === 'credssp' && !allowDelegation) {
    throw new CliUsageError(
      'CredSSP hands your password to the server, which can then use it anywhere: add --allow-delegation if you trust this host with it',
    );
  }
  return {
    url,
    auth,
    user: values.user,
    password,
    certificateFile: values.cert,
    keyFile: values.key,
    caFile: values['ca-file'],
    pins: values.pin ?? [],
    hostName: values['host-name'],
    encryption,
    allowDelegation,
    envelopeSize: envelopeSize(values['envelope-size']),
    debug: values.debug === true,
  };
}

function oneOf<T extends string>(option: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  const match = allowed.find((candidate) => candidate === lower);
  if (match === undefined) throw new CliUsageError(`${option} must be one of ${allowed.join(', ')}, not ${value}`);
  return match;
}

/** Bytes, or KiB with a `k` suffix (`512000`, `500k`). */
function envelopeSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\s*(k|kb|kib)?$/i.exec(text.trim());
  const bytes = match === null ? NaN : Number(match[1]) * (match[2] === undefined ? 1 : 1024);
  if (!Number.isSafeInteger(bytes) || bytes < 8192) {
    throw new CliUsageError(`--envelope-size must be a number of bytes of at least 8192 (or KiB as 500k), not ${text}`);
  }
  return bytes;
}

/** The words after `--`, joined with spaces as a remote command line. */
function trailing(positionals: readonly string[], what: string): string {
  const text = positionals.join(' ').trim();
  if (text === '') throw new CliUsageError(`give ${what} after --, e.g. winrm-desk cmd --url … -- ipconfig /all`);
  return text;
}
