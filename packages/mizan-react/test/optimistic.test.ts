// The rule of optimistic patches holds on the shared fixture (fixtures/optimistic.json), which
// `cargo test` plays against the Rust runtime's ledger too.
import { describe, expect, test } from 'vitest';

import optimistic from '../../../fixtures/optimistic.json' with { type: 'json' };
import {
  OptimisticLedger,
  covers,
  mutationCovers,
  parseKey,
  type MutationId,
} from '../src/core/index.js';

type Json = unknown;

interface Step {
  mutate?: string;
  affects?: string[];
  args?: Record<string, Json>;
  patch?: Record<string, Record<string, Json>>;
  answer?: string;
  invalidate?: string[];
  queued?: boolean;
  start?: string;
  fail?: string;
  push?: string[];
  land?: string;
  fetch?: number;
  value?: Json;
  unmount?: string;
  expect?: Record<string, Json>;
  refetching?: string[];
  pending?: number;
}

interface Scenario {
  name: string;
  live: Record<string, Json>;
  steps: Step[];
}

const fixture = optimistic as unknown as {
  scoping: {
    about: string;
    affects: string[];
    args: Record<string, Json>;
    instance: string;
    covered: boolean;
  }[];
  scenarios: Scenario[];
};

/** An op of the fixture applied to a value (a new value: patches never change what they get). */
function apply(op: Record<string, Json>, value: Json): Json {
  const [kind, operand] = Object.entries(op)[0] ?? [];
  if (kind === 'append' && Array.isArray(value)) return [...value, operand];
  if (kind === 'remove' && Array.isArray(value)) {
    return value.filter((item) => JSON.stringify(item) !== JSON.stringify(operand));
  }
  if (kind === 'merge' && value !== null && typeof value === 'object') {
    return { ...value, ...(operand as object) };
  }
  throw new Error(`op ${String(kind)} on ${JSON.stringify(value)}`);
}

const coveredBy = (keys: readonly string[]) => (instance: string) => {
  const { name, params } = parseKey(instance);
  return keys.some((key) => covers(key, name, params));
};

describe('the fixture', () => {
  test.each(fixture.scoping.map((c) => [c.about, c] as const))('scoping: %s', (_, c) => {
    const { name, params } = parseKey(c.instance);
    expect(mutationCovers(c.affects, c.args, name, params)).toBe(c.covered);
  });

  test.each(fixture.scenarios.map((s) => [s.name, s] as const))('%s', (_, scenario) => {
    const values = new Map<string, Json>(Object.entries(scenario.live));
    const latest = new Map<string, number>();
    const ids = new Map<string, MutationId>();
    const ledger = new OptimisticLedger<string, Record<string, Json>>();
    const shown = (instance: string) =>
      ledger.patches(instance).reduce((value, op) => apply(op, value), values.get(instance));
    const refetch = (keys: readonly string[]) => {
      const started = [...values.keys()].filter(coveredBy(keys));
      for (const instance of started) latest.set(instance, ledger.fetchStarted(instance));
      return started;
    };

    scenario.steps.forEach((step, index) => {
      const at = `${scenario.name}, step ${index + 1}`;
      let refetching: string[] = [];
      if (step.mutate !== undefined) {
        const patches: [string, Record<string, Json>][] = [];
        for (const instance of values.keys()) {
          const { name, params } = parseKey(instance);
          const op = step.patch?.[name];
          if (op && mutationCovers(step.affects ?? [], step.args ?? {}, name, params)) {
            patches.push([instance, op]);
          }
        }
        ids.set(step.mutate, ledger.begin(patches));
      }
      if (step.answer !== undefined) {
        const keys = step.invalidate ?? [];
        // The ledger hears the answer first, then the covered instances refetch.
        ledger.answered(ids.get(step.answer) ?? -1, coveredBy(keys));
        if (!step.queued) refetching = refetch(keys);
      }
      if (step.start !== undefined) latest.set(step.start, ledger.fetchStarted(step.start));
      if (step.fail !== undefined) ledger.failed(ids.get(step.fail) ?? -1);
      if (step.push !== undefined) refetching = refetch(step.push);
      if (step.land !== undefined) {
        // A refetch that does not count (a newer one started) lands nothing.
        if (ledger.landed(step.land, step.fetch ?? latest.get(step.land) ?? 0)) {
          values.set(step.land, step.value);
        }
      }
      if (step.unmount !== undefined) {
        values.delete(step.unmount);
        ledger.forget(step.unmount);
      }
      if (step.refetching !== undefined) expect(refetching, `${at}: refetching`).toEqual(step.refetching);
      for (const [instance, expected] of Object.entries(step.expect ?? {})) {
        expect(shown(instance), `${at}: ${instance}`).toEqual(expected);
      }
      if (step.pending !== undefined) expect(ledger.pending, `${at}: pending`).toBe(step.pending);
    });
  });
});
