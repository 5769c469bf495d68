/**
 * Turns the zod schemas of crd/ into the structural OpenAPI v3 schemas a CRD needs: types, required
 * lists, string/number/array bounds, `format: date-time`, int-or-string, preserve-unknown-fields for
 * free-form objects, and the descriptions and CEL rules attached with {@link doc}. Every object
 * property must have a description (that is what `kubectl explain` prints); a missing one is an error,
 * so a field cannot be added undocumented. Pure, no I/O.
 */
import { z } from 'zod';
import type { FieldMeta, OpenApiExtras } from './schema.ts';

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps the generator writes. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  enum?: (string | number | boolean)[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  anyOf?: JSONSchemaProps[];
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-validations'?: OpenApiExtras['x-kubernetes-validations'];
  'x-kubernetes-list-type'?: OpenApiExtras['x-kubernetes-list-type'];
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: OpenApiExtras['x-kubernetes-map-type'];
}

interface Internals {
  def: {
    type: string;
    innerType?: z.ZodType;
    in?: z.ZodType;
    shape?: Record<string, z.ZodType>;
    catchall?: z.ZodType;
    element?: z.ZodType;
    valueType?: z.ZodType;
    options?: z.ZodType[];
    entries?: Record<string, string | number>;
    values?: unknown[];
    format?: string;
    checks?: { _zod: { def: CheckDef } }[];
  };
}

interface CheckDef {
  check: string;
  format?: string;
  pattern?: RegExp;
  minimum?: number;
  maximum?: number;
  length?: number;
  value?: number;
  inclusive?: boolean;
}

/** Bounds and formats a schema's checks declare (zod fills its own `bag` lazily, so read the defs). */
function bounds(def: Internals['def']): { min?: number; max?: number; pattern?: RegExp; format?: string } {
  const b: { min?: number; max?: number; pattern?: RegExp; format?: string } = {};
  if (def.format) b.format = def.format;
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'min_length' || d.check === 'min_size') b.min = Math.max(b.min ?? 0, d.minimum ?? 0);
    else if (d.check === 'max_length' || d.check === 'max_size') b.max = Math.min(b.max ?? Infinity, d.maximum ?? Infinity);
    else if (d.check === 'length_equals') b.min = b.max = d.length;
    else if (d.check === 'string_format' && d.format === 'regex') b.pattern ??= d.pattern;
    else if (d.check === 'greater_than') b.min = Math.max(b.min ?? -Infinity, (d.value ?? 0) + (d.inclusive ? 0 : 1));
    else if (d.check === 'less_than') b.max = Math.min(b.max ?? Infinity, (d.value ?? 0) - (d.inclusive ? 0 : 1));
  }
  return b;
}

const internals = (s: z.ZodType): Internals => (s as unknown as { _zod: Internals })._zod;
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** Peels wrappers (optional, default, …) and collects their metadata, outermost first. */
function unwrap(schema: z.ZodType): { core: z.ZodType; metas: (FieldMeta & Record<string, unknown>)[]; optional: boolean } {
  const metas: (FieldMeta & Record<string, unknown>)[] = [];
  let optional = false;
  let s = schema;
  for (;;) {
    const m = z.globalRegistry.get(s);
    if (m) metas.push(m as FieldMeta & Record<string, unknown>);
    const d = internals(s).def;
    if (d.type === 'optional' || d.type === 'default' || d.type === 'prefault') optional = true;
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else break;
  }
  return { core: s, metas, optional };
}

/** Whether a property is optional in its object. */
export function isOptional(schema: z.ZodType): boolean {
  return unwrap(schema).optional;
}

/**
 * Converts a zod schema into a structural OpenAPI schema. `path` names the field in errors.
 * @throws Error for a zod construct a CRD cannot express, or a property without a description.
 */
export function toOpenApi(schema: z.ZodType, path = '<root>'): JSONSchemaProps {
  const { core, metas } = unwrap(schema);
  const description = metas.find((m) => typeof m.description === 'string')?.description;
  const extras: OpenApiExtras = {};
  // Inner metadata first, outer overrides (CEL rules accumulate).
  for (const m of [...metas].reverse()) {
    if (!m.openapi) continue;
    const { 'x-kubernetes-validations': rules, ...rest } = m.openapi;
    Object.assign(extras, rest);
    if (rules?.length) extras['x-kubernetes-validations'] = [...(extras['x-kubernetes-validations'] ?? []), ...rules];
  }
  const { def } = internals(core);
  const bag = bounds(def);
  // A union of an integer and a string is Kubernetes' int-or-string.
  const intOrString =
    def.type === 'union' &&
    def.options?.length === 2 &&
    def.options.map((o) => internals(unwrap(o).core).def.type).sort().join() === 'number,string';
  const out: JSONSchemaProps = {};
  if (description !== undefined) out.description = description;

  if (intOrString) {
    out['x-kubernetes-int-or-string'] = true;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
    // A bound on the string form keeps CEL cost estimates small.
    const str = def.options!.map((o) => internals(unwrap(o).core).def).find((d) => d.type === 'string')!;
    const max = bounds(str).max;
    if (max !== undefined && Number.isFinite(max)) out.maxLength = max;
  } else {
    switch (def.type) {
      case 'string': {
        out.type = 'string';
        if (bag.format === 'datetime') out.format = 'date-time';
        else if (bag.pattern) out.pattern = bag.pattern.source;
        if (bag.min !== undefined && bag.min > 0) out.minLength = bag.min;
        if (bag.max !== undefined && Number.isFinite(bag.max)) out.maxLength = bag.max;
        break;
      }
      case 'number': {
        out.type = bag.format && /int/.test(bag.format) ? 'integer' : 'number';
        if (bag.min !== undefined && Number.isFinite(bag.min)) out.minimum = bag.min;
        if (bag.max !== undefined && Number.isFinite(bag.max)) out.maximum = bag.max;
        break;
      }
      case 'boolean':
        out.type = 'boolean';
        break;
      case 'enum':
        out.type = 'string';
        if (!extras.looseEnum) out.enum = Object.values(def.entries ?? {});
        break;
      case 'literal':
        out.type = 'string';
        out.enum = (def.values ?? []) as string[];
        break;
      case 'array': {
        out.type = 'array';
        out.items = toOpenApi(def.element!, `${path}[]`);
        if (bag.min !== undefined && bag.min > 0) out.minItems = bag.min;
        if (bag.max !== undefined && Number.isFinite(bag.max)) out.maxItems = bag.max;
        break;
      }
      case 'record': {
        out.type = 'object';
        const value = def.valueType!;
        if (internals(value).def.type === 'unknown' || internals(value).def.type === 'any') out['x-kubernetes-preserve-unknown-fields'] = true;
        else out.additionalProperties = toOpenApi(value, `${path}.*`);
        break;
      }
      case 'object': {
        out.type = 'object';
        const shape = def.shape ?? {};
        const keys = Object.keys(shape).sort();
        if (keys.length) {
          out.properties = {};
          for (const k of keys) {
            const prop = toOpenApi(shape[k]!, `${path}.${k}`);
            if (!prop.description) throw new Error(`${path}.${k}: every field needs a description (use doc())`);
            out.properties[k] = prop;
          }
          const required = keys.filter((k) => !isOptional(shape[k]!));
          if (required.length) out.required = required;
        }
        const catchall = def.catchall && internals(def.catchall).def.type;
        if (catchall === 'unknown' || catchall === 'any') out['x-kubernetes-preserve-unknown-fields'] = true;
        break;
      }
      case 'unknown':
      case 'any':
        out.type = 'object';
        out['x-kubernetes-preserve-unknown-fields'] = true;
        break;
      default:
        throw new Error(`${path}: zod type "${def.type}" has no structural OpenAPI form`);
    }
  }
  if (extras.maxProperties !== undefined) out.maxProperties = extras.maxProperties;
  for (const k of ['x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type'] as const) {
    if (extras[k] !== undefined) (out as Record<string, unknown>)[k] = extras[k];
  }
  if (extras['x-kubernetes-validations']?.length) out['x-kubernetes-validations'] = extras['x-kubernetes-validations'];
  return out;
}
