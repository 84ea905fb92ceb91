/**
 * Removing secrets from what goes into logs (DESIGN.md §7). Two nets: known secret values are replaced
 * wherever they appear in text, and values under secret-sounding keys are replaced in structured data
 * before it is serialized, whatever they are.
 */

export const REDACTED = '[redacted]';

/** Keys whose values are secrets or carry them (HTTP auth headers, tokens, key material). */
const SECRET_KEY = /pass(word|phrase)?|secret|token|credential|authorization|private.?key|cookie/i;
/** Secrets shorter than this would blank out ordinary text; they are not searched for. */
const MIN_SEARCHED_SECRET_LENGTH = 3;

/** `text` with every occurrence of each secret replaced by REDACTED. */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  // Longest first, so a secret that contains another is replaced whole.
  const searched = [...new Set(secrets)]
    .filter((secret) => secret.length >= MIN_SEARCHED_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  return searched.reduce((redacted, secret) => redacted.replaceAll(secret, REDACTED), text);
}

/** A copy of `value` for logging, with the value of every secret-sounding key replaced by REDACTED. */
export function redactSecretFields(value: unknown): unknown {
  return redactFields(value, new Set());
}

function redactFields(value: unknown, ancestors: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return '[circular]';
  ancestors.add(value);
  const copy = Array.isArray(value)
    ? value.map((item) => redactFields(item, ancestors))
    : Object.fromEntries(
        Object.entries(value).map(([key, item]) => [
          key,
          SECRET_KEY.test(key) ? REDACTED : redactFields(item, ancestors),
        ]),
      );
  ancestors.delete(value);
  return copy;
}
