import type { ShownError } from './error-text';

/** A failure in one plain sentence, with the technical details folded away. */
export function ErrorMessage({ error }: { readonly error: ShownError | undefined }) {
  if (error === undefined) return null;
  return (
    <div role="alert" className="problem-block">
      <p className="problem">{error.message}</p>
      {error.details === undefined ? null : (
        <details>
          <summary>Details</summary>
          <pre>{error.details}</pre>
        </details>
      )}
    </div>
  );
}
