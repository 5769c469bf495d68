/**
 * Reading the stub nmstatectl's log (bench/nmstatectl-stub): one line per call,
 * `<unix seconds with fraction> <node> <event>`. Pure: the benchmark reads the file, these functions
 * turn its text into apply windows and the most nodes applying at once, counted on the nodes' side
 * rather than from the workflow's own bookkeeping.
 */

/** One apply as the stub saw it. */
export interface ApplyWindow {
  node: string;
  /** Unix seconds. */
  start: number;
  /** Unix seconds; undefined while the apply had not ended when the log was read. */
  end?: number;
}

/** The apply windows of a log text, in start order; an `apply-end` pairs with its node's open `apply-start`. */
export function applyWindows(text: string): ApplyWindow[] {
  const open = new Map<string, ApplyWindow>();
  const out: ApplyWindow[] = [];
  for (const line of text.split('\n')) {
    const [ts, node, event] = line.trim().split(/\s+/);
    const t = Number(ts);
    if (!node || !event || !Number.isFinite(t)) continue;
    if (event === 'apply-start') {
      const w: ApplyWindow = { node, start: t };
      open.set(node, w);
      out.push(w);
    } else if (event === 'apply-end') {
      const w = open.get(node);
      if (w) {
        w.end = t;
        open.delete(node);
      }
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Each node's busy span: from its first logged call to its last (snapshot `show`, probe `show`s,
 * apply), one per node, in start order. For a log in which every node is rolled out once, the most
 * spans open at once is the most nodes in flight as the nodes saw it, the apply's own window being
 * only a part of each node's cycle.
 */
export function nodeSpans(text: string): ApplyWindow[] {
  const spans = new Map<string, ApplyWindow>();
  for (const line of text.split('\n')) {
    const [ts, node, event] = line.trim().split(/\s+/);
    const t = Number(ts);
    if (!node || !event || !Number.isFinite(t)) continue;
    const s = spans.get(node);
    if (!s) spans.set(node, { node, start: t, end: t });
    else {
      s.start = Math.min(s.start, t);
      s.end = Math.max(s.end ?? t, t);
    }
  }
  return [...spans.values()].sort((a, b) => a.start - b.start);
}

/**
 * The most windows open at one instant. An end and a start at the same instant do not overlap (the
 * slot was freed first); a window that never ended counts as open until the last event.
 */
export function maxInFlight(windows: readonly ApplyWindow[]): number {
  const edges: [number, 1 | -1][] = [];
  for (const w of windows) {
    edges.push([w.start, 1]);
    if (w.end !== undefined) edges.push([w.end, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of edges) {
    cur += d;
    max = Math.max(max, cur);
  }
  return max;
}

/** Applies per node (a node applied more than once shows a retry or a duplicate). */
export function appliesPerNode(windows: readonly ApplyWindow[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of windows) m.set(w.node, (m.get(w.node) ?? 0) + 1);
  return m;
}
