/**
 * Building blocks of the zod schemas that are the single source of the nmstate.io API: every field
 * carries its description (what `kubectl explain` prints) and, where the CRD needs more than zod can
 * say, OpenAPI extras (CEL rules, list types, int-or-string) that crd/openapi.ts copies into the
 * generated CRD. Pure, no I/O.
 */
import { z } from 'zod';

/** One `x-kubernetes-validations` entry of a CRD schema. */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/** Quotes `s` as a CEL single-quoted string literal (backslashes and quotes escaped). */
export function celString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** What a field's metadata may add to its generated OpenAPI schema. */
export interface OpenApiExtras {
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  maxProperties?: number;
  /** Emit an enum as a plain string (the API stays as open as upstream's; TypeScript stays narrow). */
  looseEnum?: boolean;
}

/** The metadata shape we attach with `.meta()`. */
export interface FieldMeta {
  description: string;
  openapi?: OpenApiExtras;
}

/** Attaches the description (and OpenAPI extras) to a schema; returns the same schema type. */
export function doc<T extends z.ZodType>(schema: T, description: string, openapi?: OpenApiExtras): T {
  const meta: FieldMeta = openapi ? { description, openapi } : { description };
  return schema.meta(meta as unknown as Record<string, unknown>);
}

/** RFC 3339 time as Kubernetes writes it (`format: date-time`). */
export const dateTime = (): z.ZodISODateTime => z.iso.datetime({ offset: true });

/**
 * A free-form object kept as is, e.g. an nmstate state: the generator turns a record of `unknown` into
 * `type: object` with `x-kubernetes-preserve-unknown-fields`.
 */
export const freeForm = (): z.ZodRecord<z.ZodString, z.ZodUnknown> => z.record(z.string(), z.unknown());

/** Condition status values. */
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
/** A condition's status. */
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

/**
 * The condition shape shared by NNCP, NNCE and NNS (upstream's `condition_types.go` in package `api/shared`). The
 * CRD keeps type/status/reason as plain strings, like upstream; TypeScript narrows them.
 */
export function conditionSchema<T extends readonly [string, ...string[]], R extends readonly [string, ...string[]]>(types: T, reasons: R) {
  return z.object({
    type: doc(z.enum(types), `Condition type: one of ${types.join(', ')}.`, { looseEnum: true }),
    status: doc(z.enum(CONDITION_STATUSES), 'True, False or Unknown.', { looseEnum: true }),
    reason: doc(z.enum(reasons), `Machine-readable reason: one of ${reasons.filter(Boolean).join(', ')}, or empty after a reset.`, { looseEnum: true }).optional(),
    message: doc(z.string(), 'Human-readable detail, on the condition that is True.').optional(),
    lastHeartbeatTime: doc(dateTime(), 'When the condition was last written.').optional(),
    lastTransitionTime: doc(dateTime(), 'When the status last changed (not updated when only reason or message change).').optional(),
  });
}

/** The ObjectMeta fields knmstate reads and writes; others pass through. */
export const objectMeta = z
  .object({
    name: z.string().optional(),
    generateName: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    generation: z.int().optional(),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    ownerReferences: z
      .array(z.object({ apiVersion: z.string(), kind: z.string(), name: z.string(), uid: z.string(), controller: z.boolean().optional(), blockOwnerDeletion: z.boolean().optional() }))
      .optional(),
  })
  .loose();
/** ObjectMeta as knmstate uses it. */
export type ObjectMeta = z.infer<typeof objectMeta>;

/** Identifies a resource for CustomObjectsApi calls. */
export interface ResourceRef {
  group: 'nmstate.io';
  version: string;
  plural: string;
  kind: string;
  /** `apiVersion` to put in objects: `<group>/<version>`. */
  apiVersion: string;
}
