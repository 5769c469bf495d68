/** Machine-readable output (`-o json|yaml`): stable, no colour, one document per call. Pure. */
import { stringify } from 'yaml';

/** Output formats. */
export const OUTPUT_FORMATS = ['json', 'yaml'] as const;
/** A machine-readable format. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `value` as JSON (2-space indent) or YAML, ending with a newline. */
export function formatOutput(value: unknown, format: OutputFormat): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 });
}
