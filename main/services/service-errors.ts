import { z } from 'zod';
import { ContractError } from '../../core/contract/contract-error';
import { fieldProblems } from '../../core/contract/field-problems';
import { CredentialStoreError } from '../stores/credential-store';
import { ProfileImportError } from '../stores/host-profile-exchange';
import { UnusableCertificateError } from '../stores/trust-store';

/**
 * The stores' own errors as the contract's: what the user can fix becomes `invalid-input` with its
 * problems, a refusing keychain `keychain-unavailable`. Anything else stays as it is and reaches the
 * dispatcher as an internal error.
 */
export function toContractError(error: unknown): unknown {
  if (error instanceof z.ZodError) {
    const problems = fieldProblems(error);
    return new ContractError('invalid-input', problems[0]?.message ?? 'The values are not valid.', { problems });
  }
  if (error instanceof ProfileImportError) {
    return new ContractError('invalid-input', error.message, { problems: error.problems });
  }
  if (error instanceof UnusableCertificateError) return new ContractError('invalid-input', error.message);
  if (error instanceof CredentialStoreError) {
    return new ContractError('keychain-unavailable', 'The system keychain could not be used.', {
      details: error.message,
    });
  }
  return error;
}

/** Runs `action`, translating the stores' errors (see toContractError). */
export async function translatingStoreErrors<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw toContractError(error);
  }
}

export function notFound(what: string): ContractError {
  return new ContractError('not-found', `${what} does not exist (any more).`);
}
