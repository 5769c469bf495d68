/**
 * Small helpers for plain JSON values (nmstate states, specs): a type guard for objects and a
 * canonical text form. Pure; workflow code may import them.
 */

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** Whether `v` is a plain object (not null, not an array). */
export const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `v` as JSON text with object keys sorted at every level and `undefined` members left out, so that
 * two equal values give the same text whatever their key order.
 */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
