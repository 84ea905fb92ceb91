import { ContractError } from '../../../core/contract/contract-error';
import type { FieldProblem } from '../../../core/contract/field-problems';

/** A failed call as the UI shows it: the sentence for the user, details on demand, per-field problems. */
export interface ShownError {
  readonly message: string;
  readonly details?: string;
  readonly problems: readonly FieldProblem[];
}

export function shownError(error: unknown): ShownError {
  if (error instanceof ContractError) {
    return {
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
      problems: error.problems ?? [],
    };
  }
  return { message: error instanceof Error ? error.message : String(error), problems: [] };
}
