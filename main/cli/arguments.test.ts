import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CliUsageError, parseInvocation } from './arguments';

const base = ['--url', 'https://h:5986/wsman', '--user', 'LAB\\alice', '--password-env', 'PW'];

describe('parseInvocation', () => {
  it('reads cmd with its connection options and the command line after --', () => {
    const invocation = parseInvocation([
      'cmd',
      ...base,
      '--auth',
      'NTLM',
      '--ca-file',
      'ca.pem',
      '--pin',
      'aa',
      '--pin',
      'bb',
      '--host-name',
      'win.lab.test',
      '--encryption',
      'always',
      '--envelope-size',
      '500k',
      '--',
      'dir',
      '/s',
      '--help',
    ]);
    expect(invocation).toEqual({
      kind: 'cmd',
      commandLine: 'dir /s --help',
      connection: {
        url: 'https://h:5986/wsman',
        auth: 'ntlm',
        user: 'LAB\\alice',
        password: { kind: 'env', variable: 'PW' },
        certificateFile: undefined,
        keyFile: undefined,
        caFile: 'ca.pem',
        pins: ['aa', 'bb'],
        hostName: 'win.lab.test',
        encryption: 'always',
        allowDelegation: false,
        envelopeSize: 512_000,
        debug: false,
      },
    });
  });

  it('defaults to Negotiate, or to certificate authentication when --cert is given', () => {
    const negotiate = parseInvocation(['cmd', ...base, '--', 'x']);
    expect(negotiate.kind === 'cmd' && negotiate.connection.auth).toBe('negotiate');
    const certificate = parseInvocation(['cmd', '--url', 'https://h/', '--cert', 'c.pem', '--key', 'k.pem', 'x']);
    expect(certificate.kind === 'cmd' && certificate.connection.auth).toBe('certificate');
  });

  it('reads exec with --configuration and --json, and shell without a command', () => {
    expect(parseInvocation(['exec', ...base, '--configuration', 'JEA', '--json', '--', 'Get-Date'])).toMatchObject({
      kind: 'exec',
      configuration: 'JEA',
      json: true,
      script: 'Get-Date',
    });
    expect(parseInvocation(['shell', ...base])).toMatchObject({ kind: 'shell', configuration: undefined });
  });

  it('lets Kerberos go without a user or password (the credential cache)', () => {
    expect(parseInvocation(['cmd', '--url', 'http://h', '--auth', 'kerberos', '--', 'x'])).toMatchObject({
      connection: { auth: 'kerberos', user: undefined, password: undefined },
    });
  });

  it('answers help for nothing, help, --help and a subcommand --help', () => {
    expect(parseInvocation([])).toEqual({ kind: 'help', subcommand: undefined });
    expect(parseInvocation(['help', 'exec'])).toEqual({ kind: 'help', subcommand: 'exec' });
    expect(parseInvocation(['cmd', '--help'])).toEqual({ kind: 'help', subcommand: 'cmd' });
  });

  it.each([
    [['cmd', '--url', 'u', '--user', 'x', '--password', 'secret', '--', 'x'], /there is no --password option/],
    [['cmd', '--url', 'u', '--user', 'x', '--password=secret', '--', 'x'], /there is no --password option/],
    [['frobnicate'], /unknown subcommand "frobnicate": use one of cmd, exec, shell/],
    [['cmd', ...base], /give a command line after --/],
    [['cmd', '--user', 'x', '--', 'x'], /--url is required/],
    [['cmd', '--url', 'u', '--', 'x'], /--auth negotiate needs --user/],
    [['cmd', ...base, '--auth', 'digest', '--', 'x'], /--auth must be one of basic, certificate, ntlm/],
    [['cmd', ...base, '--encryption', 'maybe', '--', 'x'], /--encryption must be one of auto, always, never/],
    [['cmd', ...base, '--password-stdin', '--', 'x'], /either --password-env or --password-stdin/],
    [['cmd', ...base, '--envelope-size', '100', '--', 'x'], /at least 8192/],
    [['cmd', ...base, '--bogus', '--', 'x'], /unknown option --bogus/],
    [['cmd', ...base, '--auth', 'ntlm', '--cert', 'c.pem', '--', 'x'], /--cert is for --auth certificate, not ntlm/],
    [['cmd', '--url', 'u', '--auth', 'certificate', '--', 'x'], /needs --cert FILE/],
    [['shell', ...base, 'extra'], /shell takes no command/],
    [['cmd', ...base, '--auth', 'credssp', '--', 'x'], /CredSSP hands your password .*add --allow-delegation/],
  ])('refuses %j with a sentence saying what to do', (argv, message) => {
    expect(() => parseInvocation(argv)).toThrow(CliUsageError);
    expect(() => parseInvocation(argv)).toThrow(message);
  });

  it('either parses or throws a CliUsageError, whatever the words', () => {
    const word = fc.oneof(
      fc.constantFrom('cmd', 'exec', 'shell', '--url', '--auth', 'ntlm', '--user', '--pin', '--json', '--', '-h'),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }), (argv) => {
        try {
          parseInvocation(argv);
        } catch (error) {
          expect(error).toBeInstanceOf(CliUsageError);
        }
      }),
    );
  });
});
