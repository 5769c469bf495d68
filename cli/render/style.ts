/**
 * Colours and symbols of the CLI's output. Colours come from picocolors with an explicit switch
 * (never picocolors' own detection, so a test decides), symbols are the same with or without colour.
 */
import pc from 'picocolors';
import type { NodeRolloutPhase, RolloutPhase } from '../../crd/nncp.ts';

/** A palette: real colours, or identity functions when colour is off. */
export type Palette = ReturnType<typeof pc.createColors>;

/** The palette for `enabled`. */
export function palette(enabled: boolean): Palette {
  return pc.createColors(enabled);
}

type Tone = 'good' | 'bad' | 'busy' | 'wait' | 'idle';

const NODE_TONE: Record<NodeRolloutPhase, Tone> = {
  Pending: 'idle',
  Applying: 'busy',
  Verifying: 'busy',
  Retrying: 'wait',
  Succeeded: 'good',
  Failed: 'bad',
  Aborted: 'bad',
  RollingBack: 'busy',
  RolledBack: 'wait',
  Skipped: 'idle',
};

const ROLLOUT_TONE: Record<RolloutPhase, Tone> = {
  Pending: 'idle',
  Progressing: 'busy',
  Paused: 'wait',
  Waiting: 'wait',
  Completed: 'good',
  Halted: 'bad',
  RollingBack: 'busy',
  RolledBack: 'bad',
  Ignored: 'idle',
};

const NODE_SYMBOL: Record<NodeRolloutPhase, string> = {
  Pending: '◌',
  Applying: '⟳',
  Verifying: '⟳',
  Retrying: '↻',
  Succeeded: '✔',
  Failed: '✖',
  Aborted: '⊘',
  RollingBack: '↶',
  RolledBack: '↶',
  Skipped: '-',
};

const ROLLOUT_SYMBOL: Record<RolloutPhase, string> = {
  Pending: '◌',
  Progressing: '⟳',
  Paused: '॥',
  Waiting: '…',
  Completed: '✔',
  Halted: '✖',
  RollingBack: '↶',
  RolledBack: '↶',
  Ignored: '-',
};

function tone(p: Palette, t: Tone, s: string): string {
  switch (t) {
    case 'good':
      return p.green(s);
    case 'bad':
      return p.red(s);
    case 'busy':
      return p.cyan(s);
    case 'wait':
      return p.yellow(s);
    case 'idle':
      return p.dim(s);
  }
}

/** `✔ Succeeded`, coloured by outcome. */
export function nodePhase(p: Palette, phase: NodeRolloutPhase): string {
  return tone(p, NODE_TONE[phase], `${NODE_SYMBOL[phase]} ${phase}`);
}

/** `⟳ Progressing`, coloured by outcome. */
export function rolloutPhase(p: Palette, phase: RolloutPhase): string {
  return tone(p, ROLLOUT_TONE[phase], `${ROLLOUT_SYMBOL[phase]} ${phase}`);
}

/** A condition type coloured: Available green, Degraded red, others yellow. */
export function conditionType(p: Palette, type: string): string {
  return type === 'Available' ? p.green(type) : type === 'Degraded' ? p.red(type) : p.yellow(type);
}

/** The text without ANSI colour codes (for widths). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}

/** Pads `s` to `width` visible characters. */
export function padEnd(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - stripAnsi(s).length));
}
