import type { z } from 'zod';

/** One validation message and the dotted path of the form field it belongs to ('' for the whole object). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** The problems of a failed parse in a form a dialog can show next to its fields. */
export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message }));
}
