// The socket's frames, pacing and reconnect delays agree with the Rust runtime: both read the
// same fixture.
import { describe, expect, test } from 'vitest';

import {
  CLOSE_CODES,
  IDENTITY_CHANGED,
  IDENTITY_CHANNEL,
  IDENTITY_HEADER,
  MAX_SOCKET_MESSAGE_BYTES,
  PACING_MS,
  encodeClientFrame,
  fitsOneMessage,
  keyBatches,
  readServerFrame,
  reconnectDelay,
} from '../src/core/index.js';
import { fixture } from './fixture.js';

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

describe('socket frames', () => {
  test('the fixture has every client frame kind', () => {
    const actions = new Set(fixture.frames.client.map(({ canonical }) => canonical.action));
    expect([...actions].sort()).toEqual(
      ['ping', 'rpc', 'send', 'subscribe', 'unsubscribe', 'unwatch', 'watch'].sort(),
    );
  });

  test.each(fixture.frames.server)('reads $text.type', ({ text: frame }) => {
    const { v, ...expected } = frame as Record<string, unknown>;
    expect(v).toBe(1);
    expect(readServerFrame(text(frame))).toEqual(expected);
  });

  test('the fixture has every server frame kind', () => {
    const kinds = new Set(fixture.frames.server.map(({ text: frame }) => (frame as { type: string }).type));
    expect(kinds.size).toBe(9);
  });

  test.each(fixture.frames.bad_server)('refuses %j', ({ text: frame }) => {
    expect(readServerFrame(text(frame))).toBeUndefined();
  });
});

describe('identity changes', () => {
  test('the header, its value, the siblings\' channel and its message are the fixture\'s', () => {
    const { identity } = fixture;
    expect(IDENTITY_HEADER).toBe(identity.header);
    expect(IDENTITY_CHANGED).toBe(identity.changed);
    expect(IDENTITY_CHANNEL).toBe(identity.broadcast_channel);
    expect(IDENTITY_CHANGED).toBe(identity.message);
  });
});

describe('socket messages', () => {
  test('many keys are watched in frames that each fit one message, every key once, in order', () => {
    const keys = Array.from({ length: 300 }, (_, i) => `feed:{"tab":"${'é'.repeat(240)}","user_id":${i}}`);
    const batches = keyBatches(keys);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      const text = encodeClientFrame({ action: 'watch', keys: batch });
      expect(fitsOneMessage(text)).toBe(true);
      expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(MAX_SOCKET_MESSAGE_BYTES);
    }
    expect(batches.flat()).toEqual(keys);
    expect(keyBatches([])).toEqual([]);
    expect(keyBatches(['todos'])).toEqual([['todos']]);
  });
});

describe('socket pacing', () => {
  test('timings and close codes are the fixture\'s', () => {
    const { pacing_ms: pacing, close_codes: codes } = fixture.socket;
    expect(PACING_MS).toEqual({
      pingEvery: pacing.ping_every,
      silentFor: pacing.silent_for,
      helloWithin: pacing.hello_within,
      backoffFirst: pacing.backoff_first,
      backoffMax: pacing.backoff_max,
      stableAfter: pacing.stable_after,
    });
    expect(CLOSE_CODES).toEqual({
      sessionEnded: codes.session_ended,
      goingAway: codes.going_away,
      unanswered: codes.unanswered,
    });
    expect(MAX_SOCKET_MESSAGE_BYTES).toBe(fixture.socket.max_message_bytes);
  });

  test.each(fixture.socket.backoff)(
    'attempt $attempt with draw $random waits $delay_ms ms',
    ({ attempt, random, delay_ms }) => {
      expect(reconnectDelay(attempt, random)).toBeCloseTo(delay_ms, 9);
    },
  );
});
