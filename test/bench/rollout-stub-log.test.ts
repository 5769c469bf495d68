/**
 * The rollout benchmark's reading of the stub nmstatectl's log (bench/rollout-stub-log.ts): pure, no
 * cluster. "Most nodes applying at once" is the benchmark's check that maxUnavailable held, so its
 * edge cases (touching windows, unfinished applies, noise lines) are pinned here.
 */
import { describe, expect, it } from '@jest/globals';
import { applyWindows, appliesPerNode, maxInFlight, nodeSpans } from '../../bench/rollout-stub-log.ts';

const log = (lines: [number, string, string][]): string => lines.map(([t, n, e]) => `${t.toFixed(6)} ${n} ${e}`).join('\n') + '\n';

describe('stub log', () => {
  it('given starts and ends of several nodes, should pair each end with its node and sort by start', () => {
    const w = applyWindows(log([[2, 'b', 'apply-start'], [1, 'a', 'apply-start'], [1.5, 'a', 'show'], [3, 'a', 'apply-end'], [4, 'b', 'apply-end']]));
    expect(w).toEqual([{ node: 'a', start: 1, end: 3 }, { node: 'b', start: 2, end: 4 }]);
  });

  it('given an apply that had not ended when the log was read, should keep it open', () => {
    expect(applyWindows(log([[1, 'a', 'apply-start']]))).toEqual([{ node: 'a', start: 1 }]);
  });

  it('given blank, partial or foreign lines, should skip them', () => {
    expect(applyWindows('\n garbage\n1.0 a\nx a apply-start\n1.0 a apply-start\n')).toEqual([{ node: 'a', start: 1 }]);
  });

  it.each([
    ['no windows', [], 0],
    ['one window', [{ node: 'a', start: 1, end: 2 }], 1],
    ['overlapping windows', [{ node: 'a', start: 1, end: 3 }, { node: 'b', start: 2, end: 4 }, { node: 'c', start: 2.5, end: 5 }], 3],
    ['a slot freed and taken at the same instant', [{ node: 'a', start: 1, end: 2 }, { node: 'b', start: 2, end: 3 }], 1],
    ['an unfinished window stays open', [{ node: 'a', start: 1 }, { node: 'b', start: 5, end: 6 }], 2],
    ['sliding window of 2 over 4 nodes', [{ node: 'a', start: 0, end: 1 }, { node: 'b', start: 0, end: 1.2 }, { node: 'c', start: 1, end: 2 }, { node: 'd', start: 1.2, end: 2.2 }], 2],
  ])('given %s, should count the most applies in flight at once', (_what, windows, expected) => {
    expect(maxInFlight(windows)).toBe(expected);
  });

  it("given every call of two nodes, should span each node from its first call to its last", () => {
    const spans = nodeSpans(log([[5, 'b', 'show'], [1, 'a', 'show'], [2, 'a', 'apply-start'], [3, 'a', 'apply-end'], [4, 'a', 'show'], [6, 'b', 'apply-start']]));
    expect(spans).toEqual([{ node: 'a', start: 1, end: 4 }, { node: 'b', start: 5, end: 6 }]);
    expect(maxInFlight(spans)).toBe(1);
  });

  it('given a node that applied twice, should count both', () => {
    const m = appliesPerNode([{ node: 'a', start: 1, end: 2 }, { node: 'a', start: 3, end: 4 }, { node: 'b', start: 1, end: 2 }]);
    expect(Object.fromEntries(m)).toEqual({ a: 2, b: 1 });
  });
});
