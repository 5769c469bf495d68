import { describe, expect, it } from '@jest/globals';
import { mapLimit } from './map-limit.ts';

describe('mapLimit', () => {
  it.each([1, 3, 16])('given limit %i, should never have more calls in flight and keep the order', async (limit) => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit(Array.from({ length: 20 }, (_, i) => i), limit, async (x) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await Promise.resolve();
      await Promise.resolve();
      inFlight -= 1;
      return x * 2;
    });
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(most).toBe(Math.min(limit, 20));
  });

  it('given a failing call, should reject with its error and start no new call', async () => {
    const started: number[] = [];
    await expect(
      mapLimit([1, 2, 3, 4, 5], 1, async (x) => {
        started.push(x);
        if (x === 2) throw new Error('boom');
        return x;
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });

  it('given no items, should resolve to an empty list', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });
});
