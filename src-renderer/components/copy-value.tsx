/**
 * A long identifier (device key, license key, URL) in a narrow column: shown cut with an ellipsis, the full value
 * on hover (title) and for screen readers, and a Copy button so nobody has to select a clipped string by hand.
 */
import { useEffect, useState } from 'react';

export function CopyValue({ value, what }: { value: string; what: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(t);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      // No clipboard (insecure context, permission refused): the hover title still shows the value.
      setState('failed');
    }
  };
  return (
    <span className="copy-value">
      <code className="truncate" title={value}>
        {value}
      </code>
      <button
        type="button"
        className="small"
        aria-label={`Copy ${what} ${value}`}
        onClick={() => void copy()}
      >
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Not copied' : 'Copy'}
      </button>
    </span>
  );
}
