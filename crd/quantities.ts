/**
 * The small value formats of the API: int-or-percent (`3`, `"50%"`) and durations (`"90s"`, `"1h30m"`),
 * with the scaling rules the rollout engine uses. Pure, no I/O, safe in workflow code. The CRD's CEL
 * rules accept exactly what these parsers accept (the regexes are shared with the generator).
 */

/** An int-or-string count: a non-negative integer, or `"N%"` with N in 0–100. */
export type IntOrPercent = number | string;

/** Regex (also used in CEL) for the percent form of {@link IntOrPercent}: 0–100 followed by `%`. */
export const PERCENT_PATTERN = '^(100|[1-9]?[0-9])%$';

/**
 * Go-style duration (as `time.ParseDuration` and CEL `duration()` read it, without signs):
 * a sequence of decimal numbers with units `ms`, `s`, `m`, `h`, e.g. `"500ms"`, `"90s"`, `"1h30m"`.
 */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

/** Upstream's default `maxUnavailable`. */
export const DEFAULT_MAX_UNAVAILABLE = '50%';

/** A parsed {@link IntOrPercent}. */
export type ParsedIntOrPercent = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

/** Parses an int-or-percent; throws a `RangeError` naming `field` and the rule when invalid. */
export function parseIntOrPercent(v: unknown, field = 'value'): ParsedIntOrPercent {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${field}: must be an integer >= 0 or a percentage "N%" with N in 0-100, got ${v}`);
    return { kind: 'count', value: v };
  }
  if (typeof v === 'string' && new RegExp(PERCENT_PATTERN).test(v)) return { kind: 'percent', value: Number(v.slice(0, -1)) };
  throw new RangeError(`${field}: must be an integer >= 0 or a percentage "N%" with N in 0-100, got ${JSON.stringify(v)}`);
}

/**
 * Scales an int-or-percent against `total` (Kubernetes `GetScaledValueFromIntOrPercent`):
 * a count is taken as is, a percentage is `total × N / 100` rounded up (`round: 'up'`) or down.
 */
export function scaleIntOrPercent(v: IntOrPercent, total: number, round: 'up' | 'down', field = 'value'): number {
  const p = parseIntOrPercent(v, field);
  if (p.kind === 'count') return p.value;
  const exact = (total * p.value) / 100;
  return round === 'up' ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * How many nodes may be updating at once: upstream's rule exactly (`pkg/node/nodes.go`). Default
 * `"50%"`; percentages round up; results below 1 become 1 (so `0` and `"0%"` mean 1). A value that
 * does not parse (possible only for objects stored before validation existed) falls back to the
 * default and is reported in `error`, as upstream logs it.
 */
export function maxUnavailableLimit(v: IntOrPercent | undefined, total: number): { limit: number; error?: string } {
  let limit: number;
  let error: string | undefined;
  try {
    limit = scaleIntOrPercent(v ?? DEFAULT_MAX_UNAVAILABLE, total, 'up', 'maxUnavailable');
  } catch (err) {
    error = (err as Error).message;
    limit = scaleIntOrPercent(DEFAULT_MAX_UNAVAILABLE, total, 'up');
  }
  limit = Math.max(1, limit);
  return error === undefined ? { limit } : { limit, error };
}

/**
 * How many failed nodes the rollout tolerates before it stops (`spec.rollout.maxFailures`).
 * Percentages are of `total` and round down (a budget is never exceeded by rounding). Absent, the
 * upstream rule applies: the rollout stops when failed nodes reach the maxUnavailable limit, i.e. it
 * tolerates `maxUnavailableLimit - 1` failures.
 */
export function failureBudget(maxFailures: IntOrPercent | undefined, maxUnavailable: IntOrPercent | undefined, total: number): number {
  if (maxFailures === undefined) return maxUnavailableLimit(maxUnavailable, total).limit - 1;
  return scaleIntOrPercent(maxFailures, total, 'down', 'maxFailures');
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses a {@link DURATION_PATTERN} duration into milliseconds; throws a `RangeError` naming `field`. */
export function parseDuration(v: unknown, field = 'duration'): number {
  if (typeof v !== 'string' || !new RegExp(DURATION_PATTERN).test(v)) {
    throw new RangeError(`${field}: must be a duration like "30s", "5m" or "1h30m" (units ms, s, m, h), got ${JSON.stringify(v)}`);
  }
  let ms = 0;
  for (const m of v.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  return Math.round(ms);
}

/** Formats milliseconds as a compact duration (`90000` → `"1m30s"`), readable by {@link parseDuration}. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
