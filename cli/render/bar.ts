/** A text progress bar, e.g. `[████░░░░░░] 2/5`. Pure. */

/** Options of {@link progressBar}. */
export interface BarOptions {
  /** Cells inside the brackets. @default 10 */
  width?: number;
  /** Part of `done` that failed, drawn with `failChar`. @default 0 */
  failed?: number;
  fill?: string;
  empty?: string;
  failChar?: string;
}

/**
 * A bar of `width` cells for `done` of `total` (rounded down, so a bar is full only when everything
 * is done), followed by `done/total`. `failed` of the done cells are drawn as failures.
 */
export function progressBar(done: number, total: number, opts: BarOptions = {}): string {
  const width = Math.max(1, opts.width ?? 10);
  const fill = opts.fill ?? '█';
  const empty = opts.empty ?? '░';
  const failChar = opts.failChar ?? '▓';
  const clamp = (n: number): number => Math.max(0, Math.min(total, n));
  const d = clamp(done);
  const cells = total > 0 ? Math.floor((d / total) * width) : 0;
  const failedCells = total > 0 ? Math.min(cells, Math.ceil((clamp(opts.failed ?? 0) / total) * width)) : 0;
  return `[${failChar.repeat(failedCells)}${fill.repeat(cells - failedCells)}${empty.repeat(width - cells)}] ${d}/${total}`;
}
