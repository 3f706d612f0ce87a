/**
 * When the socket tries again: a jittered exponential backoff, as a pure function of the attempt
 * and a random draw (the Rust runtime computes the same delays; `fixtures/protocol.json` holds
 * both to the same cases).
 */

import { PACING_MS } from './frames.js';

/**
 * The delay (ms) before attempt `attempt` (0 for the first retry), for a `random` draw in
 * `[0, 1)`: a ceiling of `first` doubled per attempt up to `max`, the delay uniform over its
 * upper half, so that the tabs of one server do not come back in step.
 */
export function reconnectDelay(
  attempt: number,
  random: number,
  first: number = PACING_MS.backoffFirst,
  max: number = PACING_MS.backoffMax,
): number {
  const ceiling = Math.min(max, first * 2 ** Math.min(attempt, 30));
  const draw = Math.min(1, Math.max(0, random));
  return ceiling / 2 + (draw * ceiling) / 2;
}
