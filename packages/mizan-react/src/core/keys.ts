/**
 * Context keys: the canonical text of "this context, these params", byte for byte the Rust
 * runtime's (`crates/mizan/src/invalidation.rs`), and the rule saying which instances a key
 * refreshes.
 */

/** A context's params: integers (within ±2^53), strings or booleans, by param name. */
export type KeyParams = Readonly<Record<string, unknown>>;

/** A key taken apart. */
export interface ParsedKey {
  /** The context's name. */
  readonly name: string;
  /** The params it is scoped to (empty: every instance). */
  readonly params: KeyParams;
}

/** Compares by code point, which is the order of UTF-8 bytes, the Rust side's order. */
function byCodePoint(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const right = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/**
 * Compact JSON with every object's keys in ascending order (serde_json's `BTreeMap` form),
 * `undefined` members left out, and `null` ones too when `dropNull` (a channel's params).
 */
export function canonicalJson(value: unknown, dropNull = false): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, dropNull)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .filter((k) => record[k] !== undefined && !(dropNull && record[k] === null))
      .sort(byCodePoint)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k], dropNull)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The canonical key: the name alone without params (`current_user`), else the name, `:` and
 * the params as compact JSON with sorted keys (`user_profile:{"user_id":5}`).
 */
export function canonicalKey(name: string, params: KeyParams = {}): string {
  const present = Object.keys(params).filter((k) => params[k] !== undefined);
  return present.length === 0 ? name : `${name}:${canonicalJson(params)}`;
}

const IDENTIFIER = /^[\p{Alphabetic}_][\p{Alphabetic}\p{N}_]*$/u;

/** Takes a canonical key apart; throws a `TypeError` saying what is wrong with a malformed one. */
export function parseKey(key: string): ParsedKey {
  const colon = key.indexOf(':');
  const name = colon < 0 ? key : key.slice(0, colon);
  if (!IDENTIFIER.test(name)) {
    throw new TypeError(`context key \`${key}\`: the name must be an identifier`);
  }
  if (colon < 0) return { name, params: {} };
  let params: unknown;
  try {
    params = JSON.parse(key.slice(colon + 1));
  } catch {
    params = undefined;
  }
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new TypeError(`context key \`${key}\`: the params after \`:\` must be a JSON object`);
  }
  return { name, params: params as KeyParams };
}

function sameJson(a: unknown, b: unknown): boolean {
  return a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b);
}

/**
 * Whether `key` refreshes the instance of context `name` with `params`: same name, and every
 * param the key names has the same JSON value in the instance (`5` is not `"5"`).
 */
export function covers(key: string | ParsedKey, name: string, params: KeyParams): boolean {
  const parsed = typeof key === 'string' ? parseKey(key) : key;
  return (
    parsed.name === name &&
    Object.entries(parsed.params).every(([param, value]) => sameJson(params[param], value))
  );
}
