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
  frames: {
    client: { text: unknown; canonical: { v: number; action: string } & Record<string, unknown> }[];
    server: { text: unknown }[];
    bad_client: { text: unknown; id: number | null; mentions: string }[];
    bad_server: { text: unknown }[];
  };
  socket: {
    pacing_ms: Record<
      'ping_every' | 'silent_for' | 'hello_within' | 'backoff_first' | 'backoff_max' | 'stable_after',
      number
    >;
    close_codes: Record<'session_ended' | 'going_away' | 'unanswered', number>;
    max_message_bytes: number;
    backoff: { attempt: number; random: number; delay_ms: number }[];
  };
  identity: { header: string; changed: string; broadcast_channel: string; message: string };
}

export const fixture = protocol as unknown as ProtocolFixture;
