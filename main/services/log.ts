import type { ContractLogger } from '../../core/contract/server';
import { redactSecretFields } from '../stores/redaction';

/** Main's log on stderr, one line per entry; values under secret-sounding keys are redacted (DESIGN.md §7). */
export function consoleLogger(
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): ContractLogger {
  const entry = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) =>
    write(
      `${new Date().toISOString()} ${level} ${message}${fields === undefined ? '' : ` ${JSON.stringify(redactSecretFields(fields))}`}`,
    );
  return { warn: entry('warn'), error: entry('error') };
}
