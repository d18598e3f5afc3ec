/** An error says what happened (the agent's message) and what to do (a hint per error code). */
import type { UiError } from '../api/context.js';
import { errorHint } from '../lib/format.js';

export function ErrorMessage({ error, title }: { error: UiError | null; title?: string }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert">
      <strong>{title ?? 'Failed'}:</strong> {error.message}
      <div className="hint">{errorHint(error.code)}</div>
    </div>
  );
}
