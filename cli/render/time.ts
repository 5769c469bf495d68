/** Durations and ages as people read them (`850ms`, `12s`, `3m05s`, `2h10m`). Pure. */

/** A duration in milliseconds, short. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

/** The time from ISO `from` to `to` (ms since epoch), or `-`. */
export function since(from: string | undefined, to: number): string {
  const t = from ? Date.parse(from) : NaN;
  return Number.isNaN(t) ? '-' : humanDuration(Math.max(0, to - t));
}
