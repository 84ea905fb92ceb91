import { z } from 'zod';
import type { FieldProblem } from './field-problems';

/**
 * Errors cross the contract as DTOs: a code a program can branch on, a sentence for the user, and
 * details (technical, possibly long) that the UI shows only on demand. Nothing else of an exception
 * (stack, cause, class) leaves main.
 */
export const ERROR_CODES = [
  /** The payload does not match the contract: a bug or a hostile sender. Logged by main, never acted on. */
  'invalid-request',
  /** No such service, method or event. */
  'unknown-method',
  /** Well-formed, but the values cannot be used (a file that is not an export, a certificate that is no CA). */
  'invalid-input',
  'not-found',
  /** A store file could not be read; the UI offers to start it empty (its bytes are kept in a backup). */
  'store-unavailable',
  /** The OS keychain refused or is absent. */
  'keychain-unavailable',
  'not-implemented',
  /** The connection to main ended before the answer came. */
  'disconnected',
  /** Main answered with something the contract does not allow (raised in the renderer). */
  'invalid-response',
  /** A failure in main that is not the caller's; details say what. */
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const MAX_MESSAGE_LENGTH = 2_000;
const MAX_DETAILS_LENGTH = 20_000;
const MAX_PROBLEMS = 50;

export const fieldProblemSchema = z.strictObject({ field: z.string().max(500), message: z.string().max(2_000) });

export const errorDtoSchema = z.strictObject({
  code: z.enum(ERROR_CODES),
  message: z.string().max(MAX_MESSAGE_LENGTH),
  details: z.string().max(MAX_DETAILS_LENGTH).optional(),
  /** Per-field problems for a form (invalid-request, invalid-input). */
  problems: z.array(fieldProblemSchema).max(MAX_PROBLEMS).optional(),
});
export type ErrorDto = z.output<typeof errorDtoSchema>;

/** A failure meant to cross the contract: thrown by services in main, rethrown by the client in the renderer. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  readonly details: string | undefined;
  readonly problems: readonly FieldProblem[] | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { readonly details?: string; readonly problems?: readonly FieldProblem[] } = {},
  ) {
    super(message);
    this.details = options.details;
    this.problems = options.problems;
  }

  static fromDto(dto: ErrorDto): ContractError {
    return new ContractError(dto.code, dto.message, dto);
  }

  /** The DTO, with every text cut to the schema's limits so that it always validates. */
  toDto(): ErrorDto {
    return {
      code: this.code,
      message: this.message.slice(0, MAX_MESSAGE_LENGTH),
      ...(this.details === undefined ? {} : { details: this.details.slice(0, MAX_DETAILS_LENGTH) }),
      ...(this.problems === undefined
        ? {}
        : {
            problems: this.problems.slice(0, MAX_PROBLEMS).map(({ field, message }) => ({
              field: field.slice(0, 500),
              message: message.slice(0, 2_000),
            })),
          }),
    };
  }
}
