import { parseInvocation } from './arguments';
import { runCmd } from './cmd-command';
import { runExec } from './exec-command';
import { connectionFromArguments, type SecretSources } from './connection-setup';
import { reportFailure } from './failure-report';
import { helpText } from './help';
import { runShell } from './shell-command';
import type { Terminal } from './terminal';

export interface CliEnvironment {
  readonly terminal: Terminal;
  readonly secrets: SecretSources;
}

/** Runs one `winrm-desk` invocation and returns the process exit status; failures are reported, never thrown. */
export async function main(argv: readonly string[], environment: CliEnvironment): Promise<number> {
  const { terminal, secrets } = environment;
  try {
    const invocation = parseInvocation(argv);
    switch (invocation.kind) {
      case 'help':
        terminal.stdout.write(helpText(invocation.subcommand));
        return 0;
      case 'cmd':
        return await runCmd(
          await connectionFromArguments(invocation.connection, secrets),
          invocation.commandLine,
          terminal,
        );
      case 'exec':
        return await runExec(
          await connectionFromArguments(invocation.connection, secrets),
          invocation.script,
          { configuration: invocation.configuration, json: invocation.json },
          terminal,
        );
      case 'shell': {
        const connection = await connectionFromArguments(invocation.connection, secrets);
        const hostLabel = invocation.connection.hostName ?? new URL(invocation.connection.url).hostname;
        return await runShell(connection, { configuration: invocation.configuration, hostLabel }, terminal);
      }
    }
  } catch (error) {
    const report = reportFailure(error, argv.includes('--debug'));
    terminal.stderr.write(report.text);
    return report.exitCode;
  }
}
