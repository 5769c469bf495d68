/**
 * Reading an NNCP manifest for `plan -f`: YAML (one or more documents), checked with the crd/
 * schemas the apiserver's CRD is generated from and with the desiredState checks the engine runs,
 * every problem named by its field path. Pure.
 */
import { parseAllDocuments } from 'yaml';
import { validateDesiredState } from '../crd/desired-state.ts';
import { nodeNetworkConfigurationPolicy, NNCP, type NncpSpec } from '../crd/nncp.ts';
import type { FieldProblem } from './render/plan.ts';

/** One policy of a manifest, with its problems (none: it may be planned). */
export interface ManifestPolicy {
  /** `metadata.name`, or `document N` when it has none. */
  name: string;
  spec: NncpSpec | undefined;
  problems: FieldProblem[];
}

/** A zod issue path as `spec.rollout.waves[0].nodes`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : `${out ? '.' : ''}${String(k)}`;
  return out;
}

/**
 * The policies of a YAML text. Documents of other kinds are refused (a plan takes policies only);
 * YAML syntax errors are problems of their document.
 */
export function readManifest(text: string): ManifestPolicy[] {
  const docs = parseAllDocuments(text);
  const out: ManifestPolicy[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const label = `document ${i + 1}`;
    if (doc.errors.length) {
      out.push({ name: label, spec: undefined, problems: doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })) });
      return;
    }
    const obj: unknown = doc.toJS();
    if (obj === null || obj === undefined) return;
    if (typeof obj !== 'object' || Array.isArray(obj)) {
      out.push({ name: label, spec: undefined, problems: [{ path: '', message: 'must be a NodeNetworkConfigurationPolicy object' }] });
      return;
    }
    const o = obj as Record<string, unknown>;
    const name = typeof (o.metadata as Record<string, unknown> | undefined)?.name === 'string' ? String((o.metadata as Record<string, unknown>).name) : label;
    if (o.kind !== NNCP.kind) {
      out.push({ name, spec: undefined, problems: [{ path: 'kind', message: `must be ${NNCP.kind}, got ${JSON.stringify(o.kind)}` }] });
      return;
    }
    const problems: FieldProblem[] = [];
    const r = nodeNetworkConfigurationPolicy.safeParse(obj);
    if (!r.success) for (const issue of r.error.issues) problems.push({ path: fieldPath(issue.path), message: issue.message });
    if (name === label) problems.push({ path: 'metadata.name', message: 'is required' });
    const spec = r.success ? r.data.spec : (o.spec as NncpSpec | undefined);
    for (const e of validateDesiredState(spec?.desiredState ?? {})) problems.push({ path: `spec.desiredState${e.path ? (e.path.startsWith('[') ? '' : '.') + e.path : ''}`, message: e.message.replace(/^[^:]*: /, '') });
    out.push({ name, spec: r.success ? r.data.spec : undefined, problems });
  });
  return out;
}
