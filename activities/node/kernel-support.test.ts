/** The kernel-support cache: one per process (every node an agent process serves shares its kernel). */
import { describe, expect, it } from '@jest/globals';
import type { NodeExec, RunResult } from '../nmstate/exec.ts';
import { interpretProbe, KernelSupport } from './kernel-support.ts';

/** A NodeExec that answers every `ip link add` probe like a kernel that knows the kind, and counts the calls. */
function countingExec(): NodeExec & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    where: 'test',
    netns: undefined,
    calls,
    run: (command: string, args: readonly string[]): Promise<RunResult> => {
      calls.push([command, ...args]);
      return Promise.resolve({ exitCode: 0, stdout: '', stderr: '', durationMs: 1, timedOut: false, canceled: false });
    },
  };
}

describe('KernelSupport', () => {
  it('given two nodes of one agent process asking about the same kind, should probe the kernel once', async () => {
    const a = countingExec();
    const b = countingExec();
    const opts = { unshareBin: 'unshare-kernel-support-test', ipBin: 'ip' };
    expect(await new KernelSupport(a, opts).linkKind('veth')).toEqual({ supported: true });
    expect(await new KernelSupport(b, opts).linkKind('veth')).toEqual({ supported: true });
    expect(a.calls).toEqual([['unshare-kernel-support-test', '--net', '--', 'ip', 'link', 'add', 'knmprobe0', 'type', 'veth']]);
    expect(b.calls).toEqual([]);
  });

  it('given other probe binaries, should ask again (the answer is theirs)', async () => {
    const a = countingExec();
    await new KernelSupport(a, { unshareBin: 'unshare-kernel-support-test-2' }).linkKind('veth');
    expect(a.calls).toHaveLength(1);
  });

  it.each<[string, number, string, boolean | undefined]>([
    ['created', 0, '', true],
    ['unknown kind', 2, 'Error: Unknown device type.', false],
    ['unknown kind without extack', 2, 'RTNETLINK answers: Operation not supported', false],
    ['known kind, missing arguments', 2, 'Error: Required attributes not provided to perform the operation.', true],
    ['unshare not allowed', 1, 'unshare: unshare failed: Operation not permitted', undefined],
  ])('given %s (exit %i, stderr "%s"), should read supported = %s', (_what, code, stderr, supported) => {
    expect(interpretProbe(code, stderr).supported).toBe(supported);
  });
});
