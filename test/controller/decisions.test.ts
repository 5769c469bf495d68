/**
 * The controller's pure decisions, as truth tables: what a policy event leads to, which policies a
 * node change concerns, which enactments go, and the work queue's coalescing and back-off.
 */
import { describe, expect, it } from '@jest/globals';
import type { NncpSpec, NncpStatus, RolloutPhase } from '../../crd/nncp.ts';
import { approvedWaveOf, decideRollout, isFinalFor, shouldPromote, statusNodes, type PolicyMemory, type PolicySnapshot } from '../../workers/controller/rollout-decision.ts';
import { matchingNodeNames, policiesAffectedByNode, staleEnactmentNodes } from '../../workers/controller/node-match.ts';
import { backoffMs, KeyedQueue } from '../../workers/controller/keyed-queue.ts';

const spec: NncpSpec = { nodeSelector: { role: 'worker' }, desiredState: { interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up' }] } };
const paused: NncpSpec = { ...spec, rollout: { paused: true } };
const edited: NncpSpec = { ...spec, desiredState: { interfaces: [{ name: 'br2', type: 'linux-bridge', state: 'up' }] } };

function status(observedGeneration: number, phase: RolloutPhase, nodes: string[] = ['a', 'b']): NncpStatus {
  return { observedGeneration, rollout: { phase, counts: { matched: nodes.length }, nodes: nodes.map((name) => ({ name, phase: 'Succeeded' as const })) } };
}
const policy = (generation: number, s: NncpSpec, st?: NncpStatus): PolicySnapshot => ({ name: 'p', generation, spec: s, ...(st ? { status: st } : {}) });
const memory = (m: Partial<PolicyMemory> = {}): PolicyMemory => ({ specs: [], ...m });

describe('decideRollout', () => {
  it.each<[string, PolicySnapshot, string[], PolicyMemory | undefined, string]>([
    ['a new policy without status', policy(1, spec), ['a', 'b'], undefined, 'signal'],
    ['a policy whose status is for an older generation (an edit)', policy(2, edited, status(1, 'Completed')), ['a', 'b'], memory({ specs: [{ generation: 1, spec }] }), 'signal'],
    ['an edit seen first after a restart (no memory)', policy(2, edited, status(1, 'Completed')), ['a', 'b'], undefined, 'signal'],
    ['a rollout in progress of the current generation, after a restart', policy(1, spec, status(1, 'Progressing')), ['a', 'b'], undefined, 'signal'],
    ['a rollout in progress this process already signalled', policy(1, spec, status(1, 'Progressing')), ['a', 'b'], memory({ signalled: 1 }), 'none'],
    ['a Completed rollout of the current generation, same nodes (the skip rule)', policy(3, spec, status(3, 'Completed')), ['a', 'b'], undefined, 'none'],
    ['a Halted rollout of the current generation', policy(3, spec, status(3, 'Halted')), ['a', 'b'], undefined, 'none'],
    ['a RolledBack rollout whose nodes changed', policy(3, spec, status(3, 'RolledBack')), ['a', 'b', 'c'], undefined, 'none'],
    ['a Completed rollout whose matching nodes gained one', policy(3, spec, status(3, 'Completed')), ['a', 'b', 'c'], undefined, 'rerun'],
    ['a Completed rollout whose matching nodes lost one', policy(3, spec, status(3, 'Completed')), ['a'], undefined, 'rerun'],
    ['an Ignored policy that now matches a node', policy(1, spec, status(1, 'Ignored', [])), ['a'], undefined, 'rerun'],
    ['a Completed rollout already re-run for this node set', policy(3, spec, status(3, 'Completed')), ['a', 'b', 'c'], memory({ rerunFor: '3:a,b,c' }), 'none'],
    ['a Completed rollout whose status node list is cut short', policy(3, spec, { ...status(3, 'Completed'), rollout: { ...status(3, 'Completed').rollout!, counts: { matched: 9 } } }), ['a', 'b', 'c'], undefined, 'none'],
    ['a paused-only edit after the run ended, previous spec remembered', policy(2, paused, status(1, 'Completed')), ['a', 'b'], memory({ specs: [{ generation: 1, spec }] }), 'refreshStatus'],
    ['a paused-only edit after the run ended, previous spec unknown (restart)', policy(2, paused, status(1, 'Completed')), ['a', 'b'], undefined, 'signal'],
    ['a paused-only edit while the run is in progress', policy(2, paused, status(1, 'Progressing')), ['a', 'b'], memory({ specs: [{ generation: 1, spec }], signalled: 1 }), 'signal'],
    ['a desiredState edit then an undo, after the run ended', policy(3, spec, status(1, 'Completed')), ['a', 'b'], memory({ specs: [{ generation: 1, spec }] }), 'refreshStatus'],
    ['an edit after a Halted run', policy(2, edited, status(1, 'Halted')), ['a', 'b'], memory({ specs: [{ generation: 1, spec }], signalled: 1 }), 'signal'],
  ])('given %s, should decide the right action', (_name, p, nodes, m, action) => {
    expect(decideRollout(p, nodes, m).action).toBe(action);
  });

  it('given a signalled generation whose status is not final, should wait for its run (and the reconciler checks it is open)', () => {
    expect(decideRollout(policy(1, spec, status(1, 'Progressing')), ['a', 'b'], memory({ signalled: 1 }))).toMatchObject({ action: 'none', awaitingRun: true });
    expect(decideRollout(policy(1, spec, status(1, 'Completed')), ['a', 'b'], memory({ signalled: 1 }))).not.toHaveProperty('awaitingRun');
  });

  it('given a rerun, should key it by generation and sorted node set', () => {
    const d = decideRollout(policy(3, spec, status(3, 'Completed')), ['c', 'a', 'b'], undefined);
    expect(d).toMatchObject({ action: 'rerun', key: '3:a,b,c' });
    expect(d.reason).toContain('gained: c');
  });

  it.each<[string, NncpStatus | undefined, number, boolean]>([
    ['no status', undefined, 1, false],
    ['another generation', status(1, 'Completed'), 2, false],
    ['Completed', status(2, 'Completed'), 2, true],
    ['Ignored', status(2, 'Ignored'), 2, true],
    ['Halted', status(2, 'Halted'), 2, true],
    ['Progressing', status(2, 'Progressing'), 2, false],
    ['Paused', status(2, 'Paused'), 2, false],
    ['Waiting at a gate', status(2, 'Waiting'), 2, false],
    ['only an upstream Available condition', { observedGeneration: 2, conditions: [{ type: 'Available', status: 'True', reason: 'SuccessfullyConfigured', message: '', lastTransitionTime: '2026-01-01T00:00:00Z', lastHeartbeatTime: '2026-01-01T00:00:00Z' }] }, 2, true],
  ])('given a status with %s, should tell whether it is final', (_n, st, gen, final) => {
    expect(isFinalFor(st, gen)).toBe(final);
  });

  it('given status nodes, should list them sorted', () => {
    expect(statusNodes(status(1, 'Completed', ['b', 'a']))).toEqual(['a', 'b']);
    expect(statusNodes(undefined)).toBeUndefined();
  });
});

describe('approved wave and promotion', () => {
  const key = 'nmstate.io/rollout-approved-wave';
  it.each<[Record<string, string> | undefined, number | undefined]>([
    [undefined, undefined],
    [{}, undefined],
    [{ [key]: '2' }, 2],
    [{ [key]: ' 3 ' }, 3],
    [{ [key]: '0' }, undefined],
    [{ [key]: '-1' }, undefined],
    [{ [key]: 'two' }, undefined],
    [{ [key]: '1.5' }, undefined],
  ])('given annotations %j, should read approved wave %s', (a, wave) => {
    expect(approvedWaveOf(a, key)).toBe(wave);
  });

  it.each<[string, PolicySnapshot, number | undefined, PolicyMemory | undefined, boolean]>([
    ['no approval', policy(1, spec, status(1, 'Waiting')), undefined, undefined, false],
    ['a new approval while waiting', policy(1, spec, status(1, 'Waiting')), 1, undefined, true],
    ['the approval already sent', policy(1, spec, status(1, 'Waiting')), 1, memory({ promoted: 1 }), false],
    ['a higher approval', policy(1, spec, status(1, 'Waiting')), 2, memory({ promoted: 1 }), true],
    ['an approval after the rollout ended', policy(1, spec, status(1, 'Completed')), 2, undefined, false],
  ])('given %s, should promote only when it can matter', (_n, p, wave, m, yes) => {
    expect(shouldPromote(p, wave, m)).toBe(yes);
  });
});

describe('node match', () => {
  const policies = [
    { name: 'workers', spec: { nodeSelector: { role: 'worker' } } },
    { name: 'all', spec: {} },
    { name: 'zone-a', spec: { rollout: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['a'] }] }] } } },
  ];
  it.each<[string, Record<string, string> | undefined, Record<string, string> | undefined, { policy: string; change: string }[]]>([
    ['a new worker node in zone a', undefined, { role: 'worker', zone: 'a' }, [{ policy: 'all', change: 'gained' }, { policy: 'workers', change: 'gained' }, { policy: 'zone-a', change: 'gained' }]],
    ['a worker node deleted', { role: 'worker' }, undefined, [{ policy: 'all', change: 'lost' }, { policy: 'workers', change: 'lost' }]],
    ['a node labelled worker', { zone: 'b' }, { zone: 'b', role: 'worker' }, [{ policy: 'workers', change: 'gained' }]],
    ['a node losing its worker label', { role: 'worker', zone: 'a' }, { zone: 'a' }, [{ policy: 'workers', change: 'lost' }]],
    ['a node moving zones', { zone: 'a' }, { zone: 'b' }, [{ policy: 'zone-a', change: 'lost' }]],
    ['an unrelated label change', { role: 'worker' }, { role: 'worker', other: 'x' }, []],
  ])('given %s, should find the policies whose match changed', (_n, before, after, want) => {
    expect(policiesAffectedByNode(policies, before, after)).toEqual(want);
  });

  it('given nodes, should list the matching ones sorted', () => {
    expect(matchingNodeNames({ nodeSelector: { role: 'worker' } }, [{ name: 'n2', labels: { role: 'worker' } }, { name: 'n1', labels: { role: 'worker' } }, { name: 'n3' }])).toEqual(['n1', 'n2']);
  });

  it.each<[string, string[], string[] | undefined, string[]]>([
    ['a deleted policy', ['a', 'b'], undefined, ['a', 'b']],
    ['every enactment on a matching node', ['a', 'b'], ['a', 'b', 'c'], []],
    ['a node that lost the match', ['a', 'b'], ['a'], ['b']],
    ['no enactments', [], ['a'], []],
  ])('given %s, should find the enactments to delete', (_n, have, matching, want) => {
    expect(staleEnactmentNodes(have, matching)).toEqual(want);
  });
});

describe('KeyedQueue', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [5, 16000],
    [6, 30000],
    [20, 30000],
  ])('given failure %i, should back off %i ms (1 s doubling up to 30 s)', (n, ms) => {
    expect(backoffMs(n, 1000, 30000)).toBe(ms);
  });

  it('given a key added many times before it runs, should process it once', async () => {
    const seen: string[] = [];
    const q = new KeyedQueue({ concurrency: 1, process: async (k) => void seen.push(k) });
    q.add('b'); // runs at once; the adds below wait for the only worker
    q.add('a');
    q.add('a');
    q.add('a');
    await q.idle();
    expect(seen).toEqual(['b', 'a']);
  });

  it('given a key added while it is processed, should process it again afterwards, never twice at once', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new KeyedQueue({
      concurrency: 4,
      process: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        if (runs === 1) await gate;
        active--;
      },
    });
    q.add('a');
    q.add('a');
    q.add('a');
    release();
    await q.idle();
    expect({ runs, maxActive }).toEqual({ runs: 2, maxActive: 1 });
  });

  it('given a failing key, should retry it with back-off and then succeed', async () => {
    let calls = 0;
    const errors: number[] = [];
    let done!: () => void;
    const succeeded = new Promise<void>((r) => (done = r));
    const q = new KeyedQueue({
      initialBackoffMs: 10,
      maxBackoffMs: 40,
      process: async () => {
        if (++calls < 3) throw new Error('temporal unreachable');
        done();
      },
      onError: (_k, _e, n, delay) => errors.push(n * 1000 + delay),
    });
    q.add('p');
    await succeeded;
    await q.idle();
    expect(errors).toEqual([1010, 2020]);
    expect(q.failures('p')).toBe(0);
    await q.stop();
  });

  it('given a stopped queue, should take no more work', async () => {
    const seen: string[] = [];
    const q = new KeyedQueue({ process: async (k) => void seen.push(k) });
    await q.stop();
    q.add('a');
    await q.idle();
    expect(seen).toEqual([]);
  });
});
