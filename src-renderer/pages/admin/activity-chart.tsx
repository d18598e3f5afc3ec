/**
 * Online devices and heartbeats per minute over the last hour, drawn as plain SVG (no chart library): bars for
 * heartbeats, a line for online devices, each scaled to its own axis. A text summary and a data table (visually
 * hidden) make it readable without the picture.
 */
import type { AdminStats } from '../../api/types.js';
import { formatClock } from '../../lib/format.js';

const W = 600;
const H = 200;
const PAD = { l: 36, r: 36, t: 12, b: 24 };

function niceMax(v: number): number {
  if (v <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / p) * p;
}

export function ActivityChart({ stats }: { stats: AdminStats }) {
  const pts = stats.points;
  const n = Math.max(pts.length, 1);
  const hbMax = niceMax(Math.max(0, ...pts.map((p) => p.heartbeats)));
  const onMax = niceMax(Math.max(stats.total_devices, ...pts.map((p) => p.online ?? 0)));
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const bw = iw / 60;
  const x = (i: number) => PAD.l + (60 - n + i) * bw;
  const yHb = (v: number) => PAD.t + ih - (v / hbMax) * ih;
  const yOn = (v: number) => PAD.t + ih - (v / onMax) * ih;
  const line = pts
    .map((p, i) => (p.online === null ? null : `${x(i) + bw / 2},${yOn(p.online)}`))
    .filter((s): s is string => s !== null)
    .join(' ');
  const totalHb = pts.reduce((a, p) => a + p.heartbeats, 0);
  const last = pts[pts.length - 1];

  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby="chart-caption"
        preserveAspectRatio="xMidYMid meet"
        data-testid="activity-chart"
      >
        <line x1={PAD.l} y1={PAD.t + ih} x2={W - PAD.r} y2={PAD.t + ih} className="axis" />
        <line x1={PAD.l} y1={PAD.t} x2={PAD.l} y2={PAD.t + ih} className="axis" />
        <line x1={W - PAD.r} y1={PAD.t} x2={W - PAD.r} y2={PAD.t + ih} className="axis" />
        <text x={PAD.l - 4} y={PAD.t + 8} className="tick" textAnchor="end">
          {hbMax}
        </text>
        <text x={PAD.l - 4} y={PAD.t + ih} className="tick" textAnchor="end">
          0
        </text>
        <text x={W - PAD.r + 4} y={PAD.t + 8} className="tick tick-online">
          {onMax}
        </text>
        <text x={W - PAD.r + 4} y={PAD.t + ih} className="tick tick-online">
          0
        </text>
        <text x={PAD.l} y={H - 6} className="tick">
          −60 min
        </text>
        <text x={W - PAD.r} y={H - 6} className="tick" textAnchor="end">
          now
        </text>
        {pts.map((p, i) => (
          <rect
            key={p.minute}
            x={x(i) + 1}
            y={yHb(p.heartbeats)}
            width={Math.max(bw - 2, 1)}
            height={PAD.t + ih - yHb(p.heartbeats)}
            className="bar-hb"
          >
            <title>{`${formatClock(p.minute)}: ${p.heartbeats} heartbeats, ${p.online ?? '?'} online`}</title>
          </rect>
        ))}
        {line && <polyline points={line} className="line-online" fill="none" />}
        {pts.map((p, i) =>
          p.online === null ? null : (
            <circle
              key={`o-${p.minute}`}
              cx={x(i) + bw / 2}
              cy={yOn(p.online)}
              r={2.5}
              className="dot-online"
            />
          ),
        )}
        {pts.length === 0 && (
          <text x={W / 2} y={H / 2} className="tick" textAnchor="middle">
            No samples yet: the chart fills in minute by minute.
          </text>
        )}
      </svg>
      <figcaption id="chart-caption">
        <span className="legend legend-hb">Heartbeats per minute (left axis)</span>{' '}
        <span className="legend legend-online">Online devices (right axis)</span>
        <br />
        Now {stats.online_devices} of {stats.total_devices} devices online; {totalHb} heartbeats in the last{' '}
        {pts.length} minutes{last ? ` (${last.heartbeats} in the latest minute)` : ''}.
      </figcaption>
    </figure>
  );
}
