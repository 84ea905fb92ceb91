import type { Subcommand } from './arguments';

const CONNECTION_OPTIONS = `Connection:
  --url URL                 http://host:5985/wsman or https://host:5986/wsman (required)
  --auth METHOD             negotiate (default), ntlm, basic, certificate, kerberos, credssp
  --user USER               DOMAIN\\user, user@domain or a local user
  --password-env VARIABLE   read the password from this environment variable
  --password-stdin          read the password from standard input
                            (neither: asked on the terminal; there is no --password option)
  --cert FILE --key FILE    client certificate (PEM) and key for --auth certificate; or --cert FILE.pfx
  --ca-file FILE            trust the CA certificates in this PEM file (e.g. an AD CS root)
  --pin SHA256              trust exactly the server certificate with this fingerprint (repeatable)
  --host-name NAME          the server's name for its certificate and SPN when the URL uses an address
  --allow-delegation        consent to CredSSP handing your password to the server
  --encryption POLICY       auto (default: encrypt over HTTP), always, never
  --envelope-size N         WS-Man MaxEnvelopeSize in bytes, or KiB as 500k (default 150k)
  --debug                   show details of failures`;

const EXIT_CODES = `Exit codes: 64 bad arguments, 69 server unreachable or refused, 70 internal error, 76 protocol
error, 77 authentication failed, 78 untrusted certificate, 130 interrupted.`;

const TOPICS: Readonly<Record<Subcommand | 'overview', string>> = {
  overview: `Usage: winrm-desk <subcommand> [options] -- <command>

Subcommands:
  cmd     run a command line in a WinRS (cmd) shell; exits with its exit code
  exec    run a PowerShell script; output formatted as PowerShell does, or JSON lines
  shell   an interactive PowerShell prompt

winrm-desk help <subcommand> shows its options.`,
  cmd: `Usage: winrm-desk cmd --url URL [options] -- <command line>

Runs the command line in a cmd shell on the host; its stdout and stderr are streamed to ours and
winrm-desk exits with its exit code. Ctrl+C is sent to the remote process; a second Ctrl+C ends it.

${CONNECTION_OPTIONS}

${EXIT_CODES}`,
  exec: `Usage: winrm-desk exec --url URL [options] [--configuration NAME] [--json] -- <PowerShell script>

Runs the script in a PowerShell pipeline on the host. Output objects are printed as PowerShell's default
formatting does (or one JSON object per line with --json); errors, warnings, verbose and information
messages go to stderr. Exits 0 on success, 1 when the pipeline failed or wrote errors.

  --configuration NAME      session configuration (JEA endpoint), default Microsoft.PowerShell
  --json                    one JSON object per output object

${CONNECTION_OPTIONS}

${EXIT_CODES}`,
  shell: `Usage: winrm-desk shell --url URL [options] [--configuration NAME]

An interactive PowerShell prompt on the host: line history, Ctrl+C stops the running pipeline,
Tab completes through the host's TabExpansion2, Read-Host and Get-Credential ask on this terminal.

  --configuration NAME      session configuration (JEA endpoint), default Microsoft.PowerShell

${CONNECTION_OPTIONS}`,
};

export function helpText(subcommand: Subcommand | undefined): string {
  return `${TOPICS[subcommand ?? 'overview']}\n`;
}
