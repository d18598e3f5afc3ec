/** Progress for a long action: an indeterminate spinner with a text label, or a determinate progress bar. */
export function Busy({ label, done, total }: { label: string; done?: number; total?: number }) {
  const determinate = typeof done === 'number' && typeof total === 'number' && total > 0;
  return (
    <span className="busy" role="status" aria-live="polite">
      {determinate ? (
        <progress max={total} value={done} aria-label={label} />
      ) : (
        <span className="spinner" aria-hidden="true" />
      )}
      <span>
        {label}
        {determinate ? ` (${done}/${total})` : '…'}
      </span>
    </span>
  );
}
