import { describe, expect, it } from '@jest/globals';
import { ObjectCache } from './object-cache.ts';

describe('ObjectCache', () => {
  it('given seen, absent and forgotten names, should answer what was last recorded', () => {
    const c = new ObjectCache<number>();
    c.seen('a', 1);
    c.absent('b');
    c.seen('a', 2);
    expect(c.get('a')).toEqual({ exists: true, object: 2 });
    expect(c.get('b')).toEqual({ exists: false });
    expect(c.get('c')).toBeUndefined();
    c.forget('a');
    expect(c.get('a')).toBeUndefined();
  });

  it('given more entries than its bound, should evict the least recently recorded', () => {
    const c = new ObjectCache<number>(2);
    c.seen('a', 1);
    c.seen('b', 2);
    c.seen('a', 3);
    c.seen('c', 4);
    expect(c.size).toBe(2);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toEqual({ exists: true, object: 3 });
  });
});
