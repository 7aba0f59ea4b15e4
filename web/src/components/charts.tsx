import type { Series } from '../api.types.js';
import { clock } from '../format.js';

export const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#db2777'];

interface LineChartProps {
  title: string;
  series: Series[];
  format: (value: number) => string;
  /** Fixes the y range (e.g. 0–1 for rates); otherwise 0–max. */
  yMax?: number;
  nameOf?: (key: string | null) => string;
  /** What the legend shows per series: its latest value (rates) or its total over the window (volumes). */
  legend?: 'last' | 'sum';
}

/** The smallest 1-2-5 × 10^n at or above `value`, so axis ticks land on round numbers. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const W = 640;
const H = 220;
const PAD = { left: 48, right: 12, top: 12, bottom: 26 };

/** Multi-series line chart in plain SVG; the table fallback keeps the figures readable to screen readers. */
export function LineChart({
  title,
  series,
  format,
  yMax,
  nameOf = (k) => k ?? 'none',
  legend = 'last',
}: LineChartProps) {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => Date.parse(p.t))))].sort((a, b) => a - b);
  const values = series.flatMap((s) => s.points.map((p) => p.value).filter((v): v is number => v !== null));
  if (times.length === 0 || values.length === 0) return <p className="muted">No data in this period yet.</p>;
  const t0 = times[0]!;
  const t1 = times[times.length - 1]!;
  const top = yMax ?? niceCeiling(Math.max(...values));
  const x = (t: number) =>
    PAD.left + (t1 === t0 ? (W - PAD.left - PAD.right) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + (1 - (top === 0 ? 0 : v / top)) * (H - PAD.top - PAD.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  const xTicks = times.length <= 1 ? times : [0, 0.33, 0.66, 1].map((f) => t0 + f * (t1 - t0));
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} preserveAspectRatio="none">
        {ticks.map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="grid" />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" className="axis">
              {format(v)}
            </text>
          </g>
        ))}
        {xTicks.map((t, i) => (
          <text
            key={t}
            x={x(t)}
            y={H - 6}
            textAnchor={
              i === 0 && xTicks.length > 1 ? 'start' : i === xTicks.length - 1 && xTicks.length > 1 ? 'end' : 'middle'
            }
            className="axis"
          >
            {clock(new Date(t).toISOString())}
          </text>
        ))}
        {series.map((s, i) => {
          const pts = s.points
            .filter((p) => p.value !== null)
            .map((p) => `${x(Date.parse(p.t)).toFixed(1)},${y(p.value!).toFixed(1)}`);
          const color = PALETTE[i % PALETTE.length];
          return (
            <g key={s.key ?? 'none'}>
              <polyline
                points={pts.join(' ')}
                fill="none"
                stroke={color}
                strokeWidth={2}
                vectorEffect="non-scaling-stroke"
                strokeLinejoin="round"
              />
              {pts.length === 1 && <circle cx={pts[0]!.split(',')[0]} cy={pts[0]!.split(',')[1]} r={3} fill={color} />}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {series.map((s, i) => {
          const shown =
            legend === 'sum'
              ? s.points.reduce((sum, p) => sum + (p.value ?? 0), 0)
              : [...s.points].reverse().find((p) => p.value !== null)?.value;
          return (
            <span key={s.key ?? 'none'}>
              <i style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" />
              {nameOf(s.key)} {shown === undefined || shown === null ? null : <b>{format(shown)}</b>}
            </span>
          );
        })}
      </figcaption>
    </figure>
  );
}

export function BarList({
  rows,
  format,
}: {
  rows: Array<{ label: string; value: number; hint?: string }>;
  format: (v: number) => string;
}) {
  if (rows.length === 0) return <p className="muted">Nothing to show yet.</p>;
  const max = Math.max(...rows.map((r) => r.value), 1);
  return (
    <ul className="barlist">
      {rows.map((r) => (
        <li key={r.label}>
          <span className="barlist-label">
            {r.label}
            {r.hint ? <small className="muted"> {r.hint}</small> : null}
          </span>
          <span className="barlist-track" aria-hidden="true">
            <span className="barlist-bar" style={{ width: `${(r.value / max) * 100}%` }} />
          </span>
          <span className="barlist-value">{format(r.value)}</span>
        </li>
      ))}
    </ul>
  );
}

/** One horizontal bar split into parts (e.g. approve / review / decline). */
export function StackedBar({ parts }: { parts: Array<{ label: string; value: number; color: string }> }) {
  const total = parts.reduce((sum, p) => sum + p.value, 0);
  if (total === 0) return <p className="muted">No risk decisions yet.</p>;
  return (
    <div>
      <div className="stacked" role="img" aria-label={parts.map((p) => `${p.label} ${p.value}`).join(', ')}>
        {parts.map((p) =>
          p.value > 0 ? (
            <span key={p.label} style={{ width: `${(p.value / total) * 100}%`, background: p.color }} />
          ) : null,
        )}
      </div>
      <div className="legend">
        {parts.map((p) => (
          <span key={p.label}>
            <i style={{ background: p.color }} aria-hidden="true" />
            {p.label} <b>{p.value}</b> ({((p.value / total) * 100).toFixed(0)}%)
          </span>
        ))}
      </div>
    </div>
  );
}
