/**
 * mizan's TanStack Query keys: `['mizan', name, params]`, the test for one, and which of them a
 * response's invalidation keys cover (what both a refresh and an optimistic patch go by).
 */

import type { QueryKey } from '@tanstack/react-query';

import { covers, parseKey, type KeyParams, type ParsedKey } from '../core/keys.js';

/** The query key of a function's call: `['mizan', name, params]` (stable). */
export type MizanQueryKey = readonly ['mizan', string, KeyParams];

/** Whether `key` is a mizan query key. */
export function isMizanQueryKey(key: QueryKey): key is MizanQueryKey {
  return (
    key[0] === 'mizan' &&
    typeof key[1] === 'string' &&
    typeof key[2] === 'object' &&
    key[2] !== null &&
    !Array.isArray(key[2])
  );
}

/**
 * Which query keys the invalidation keys `keys` cover: a mizan key whose instance one of them
 * names (a key that does not parse covers nothing).
 */
export function coveredBy(keys: readonly string[]): (queryKey: QueryKey) => boolean {
  const parsed = keys.flatMap((key): ParsedKey[] => {
    try {
      return [parseKey(key)];
    } catch {
      return [];
    }
  });
  return (queryKey) =>
    isMizanQueryKey(queryKey) && parsed.some((key) => covers(key, queryKey[1], queryKey[2]));
}
