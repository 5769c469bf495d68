/**
 * The nmstate.io API of knmstate: zod schemas (the single source of the CRDs), inferred types,
 * resource constants, condition types and reasons, and the pure helpers the engine, the node agent
 * and the CLI share. The leaf of the dependency graph: no I/O, no Node builtins (workflow-safe).
 */
export * from './schema.ts';
export * from './nncp.ts';
export * from './nnce.ts';
export * from './nns.ts';
export * from './desired-state.ts';
export * from './quantities.ts';
export * from './labels.ts';
export * from './net.ts';
export * from './rollout.ts';
export * from './network-state.ts';
export * from './probes.ts';
export * from './conditions.ts';
export * from './policy-status.ts';
export * from './enactment-status.ts';
