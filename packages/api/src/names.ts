/**
 * LINSTOR object-name rules (linstor-api.md §1 "Object names"). Names are case-insensitive:
 * identity is the upper-cased form, while the display case is kept.
 */

export interface NameRule {
  readonly kind: string;
  readonly minLength: number;
  readonly maxLength: number;
}

export const RESOURCE_NAME_RULE: NameRule = { kind: 'resource name', minLength: 2, maxLength: 48 };
export const SNAPSHOT_NAME_RULE: NameRule = { kind: 'snapshot name', minLength: 2, maxLength: 48 };
export const RESOURCE_GROUP_NAME_RULE: NameRule = {
  kind: 'resource group name',
  minLength: 2,
  maxLength: 48,
};
export const STORAGE_POOL_NAME_RULE: NameRule = { kind: 'storage pool name', minLength: 3, maxLength: 48 };
export const KVS_NAME_RULE: NameRule = { kind: 'key-value store name', minLength: 2, maxLength: 48 };

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const HAS_LETTER = /[A-Za-z]/;

/** Returns why `name` is not a valid LINSTOR name under `rule`, or undefined when it is valid. */
export function nameProblem(name: string, rule: NameRule = RESOURCE_NAME_RULE): string | undefined {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes < rule.minLength)
    return `The ${rule.kind} '${name}' is too short (minimum ${rule.minLength} characters)`;
  if (bytes > rule.maxLength)
    return `The ${rule.kind} '${name}' is too long (maximum ${rule.maxLength} characters)`;
  if (!NAME_PATTERN.test(name)) {
    return `The ${rule.kind} '${name}' contains invalid characters (allowed: letters, digits, '_' and '-', starting with a letter or '_')`;
  }
  if (!HAS_LETTER.test(name)) return `The ${rule.kind} '${name}' must contain at least one letter`;
  return undefined;
}

/** True when `name` is a valid LINSTOR name under `rule`. */
export function isValidName(name: string, rule: NameRule = RESOURCE_NAME_RULE): boolean {
  return nameProblem(name, rule) === undefined;
}

/** The case-insensitive identity of a LINSTOR name (what uniqueness is decided on). */
export function nameKey(name: string): string {
  return name.toUpperCase();
}

/** True when two LINSTOR names denote the same object. */
export function sameName(a: string, b: string): boolean {
  return nameKey(a) === nameKey(b);
}

const HOSTNAME_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Node names follow hostname rules: 2-255 characters, dot-separated labels of letters, digits and '-'. */
export function nodeNameProblem(name: string): string | undefined {
  if (name.length < 2 || name.length > 255) return `The node name '${name}' must be 2 to 255 characters long`;
  for (const label of name.split('.')) {
    if (label.length === 0 || label.length > 63 || !HOSTNAME_LABEL.test(label)) {
      return `The node name '${name}' is not a valid host name`;
    }
  }
  return undefined;
}

/** Metacharacters that make a list filter value a (Java) regular expression since API 1.28 (LINSTOR 1.34). */
export const FILTER_REGEX_METACHARACTERS = /[\\+*?[\](){}^$|]/;
