/**
 * Heartbeats per hour over the last 7 days (168 bars), plain SVG in the style of the activity chart, with a
 * text summary for readers who cannot see it.
 */
import { formatTime } from '../../lib/format.js';

const W = 672;
const H = 160;
const PAD = { l: 36, r: 8, t: 10, b: 22 };

export function HeartbeatChart({ buckets }: { buckets: { hour: string; count: number }[] }) {
  const max = Math.max(5, ...buckets.map((b) => b.count));
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const bw = iw / Math.max(buckets.length, 1);
  const y = (v: number) => PAD.t + ih - (v / max) * ih;
  const total = buckets.reduce((a, b) => a + b.count, 0);
  const silent = buckets.filter((b) => b.count === 0).length;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="hb-caption" data-testid="heartbeat-chart">
        <line x1={PAD.l} y1={PAD.t + ih} x2={W - PAD.r} y2={PAD.t + ih} className="axis" />
        <line x1={PAD.l} y1={PAD.t} x2={PAD.l} y2={PAD.t + ih} className="axis" />
        <text x={PAD.l - 4} y={PAD.t + 8} className="tick" textAnchor="end">
          {max}
        </text>
        <text x={PAD.l - 4} y={PAD.t + ih} className="tick" textAnchor="end">
          0
        </text>
        <text x={PAD.l} y={H - 6} className="tick">
          −7 days
        </text>
        <text x={W - PAD.r} y={H - 6} className="tick" textAnchor="end">
          now
        </text>
        {buckets.map((b, i) => (
          <rect
            key={b.hour}
            x={PAD.l + i * bw}
            y={y(b.count)}
            width={Math.max(bw - 0.5, 0.5)}
            height={PAD.t + ih - y(b.count)}
            className="bar-hb"
          >
            <title>{`${formatTime(b.hour)}: ${b.count} heartbeats`}</title>
          </rect>
        ))}
      </svg>
      <figcaption id="hb-caption">
        Heartbeats per hour, last 7 days: {total} in all; {silent} of {buckets.length} hours without any.
      </figcaption>
    </figure>
  );
}
