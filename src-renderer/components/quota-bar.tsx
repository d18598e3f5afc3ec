/** One client's quota: remaining / total as a meter bar plus the numbers in text. */
import type { Quota } from '../api/types.js';

export function QuotaBar({ quota }: { quota: Quota }) {
  // Before the first pull the total is unknown: the bar then shows remaining against itself.
  const total = Math.max(quota.total ?? quota.remaining, 0);
  const remaining = Math.max(Math.min(quota.remaining, total), 0);
  const pct = total > 0 ? Math.round((remaining / total) * 100) : 0;
  const label = quota.name ? `${quota.name} (#${quota.client_id})` : `Client #${quota.client_id}`;
  const tone = pct <= 10 ? 'low' : pct <= 30 ? 'mid' : 'ok';
  return (
    <div className="quota" data-testid={`quota-${quota.client_id}`}>
      <div className="quota-label">
        <span>{label}</span>
        <span className="quota-numbers" data-testid={`quota-remaining-${quota.client_id}`}>
          {quota.total === null
            ? `${quota.remaining} remaining (total not synced yet)`
            : `${quota.remaining} / ${quota.total} remaining`}
        </span>
      </div>
      <div
        className={`bar bar-${tone}`}
        role="meter"
        aria-label={`${label} quota remaining`}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={remaining}
        aria-valuetext={`${quota.remaining} of ${quota.total ?? 'unknown'} remaining`}
      >
        <div className="bar-fill" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
