// The golden fixture both runtimes read (fixtures/protocol.json at the repository's root).
import protocol from '../../../fixtures/protocol.json' with { type: 'json' };

export interface ProtocolFixture {
  canonical_keys: { name: string; params: Record<string, unknown>; key: string }[];
  parse: {
    valid: { key: string; name: string; params: Record<string, unknown> }[];
    invalid: string[];
  };
  covers: { key: string; name: string; params: Record<string, unknown>; covers: boolean }[];
  errors: {
    code: string;
    status: number;
    body: unknown;
    fields: Record<string, string[]>;
    auth: boolean;
    validation: boolean;
  }[];
  hydration: { payload: { version: 1; contexts: Record<string, unknown> }; script: string };
}

export const fixture = protocol as unknown as ProtocolFixture;
