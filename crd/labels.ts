/**
 * Kubernetes label syntax (apimachinery `IsQualifiedName`, `IsValidLabelValue`) as regexes shared by
 * the TypeScript checks and the CEL rules of the generated CRDs and admission policy. Pure, no I/O.
 */

/** Name part of a qualified name (and a non-empty label value): ≤ 63, alphanumeric at both ends. */
const NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
/** DNS-1123 subdomain (the optional prefix of a qualified name); its ≤ 253 length is checked apart. */
const SUBDOMAIN = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';

/** Regex of a qualified name (`app`, `kubernetes.io/hostname`); CEL-compatible (RE2). */
export const QUALIFIED_NAME_PATTERN = `^(${SUBDOMAIN}/)?${NAME}$`;
/** Regex of a label value: empty, or ≤ 63 characters, alphanumeric at both ends. */
export const LABEL_VALUE_PATTERN = `^(${NAME})?$`;
/**
 * Regex of an NNCP name that upstream's admission accepts: ≤ 63 and the label-value format, so the
 * name can be used as the value of the `nmstate.io/policy` label.
 */
export const POLICY_NAME_PATTERN = '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

const qualified = new RegExp(QUALIFIED_NAME_PATTERN);
const labelValue = new RegExp(LABEL_VALUE_PATTERN);

/** True when `s` is a valid label key (qualified name, prefix ≤ 253 characters). */
export function isQualifiedName(s: string): boolean {
  const slash = s.indexOf('/');
  return qualified.test(s) && (slash < 0 || slash <= 253);
}

/** True when `s` is a valid label value (possibly empty). */
export function isLabelValue(s: string): boolean {
  return labelValue.test(s);
}

/** True when `name` satisfies upstream's policy-name rule (`generateName` objects have `''` and pass). */
export function isValidPolicyName(name: string): boolean {
  return name === '' || (name.length <= 63 && new RegExp(POLICY_NAME_PATTERN).test(name));
}
