// Keys, errors and the hydration payload agree with the Rust runtime: both read the same fixture.
import { describe, expect, test } from 'vitest';

import {
  MizanError,
  canonicalKey,
  covers,
  getMizanHydration,
  hydrationScript,
  parseHydration,
  parseKey,
} from '../src/core/index.js';
import { fixture } from './fixture.js';

describe('context keys', () => {
  test.each(fixture.canonical_keys)('canonical text of $key', ({ name, params, key }) => {
    expect(canonicalKey(name, params)).toBe(key);
  });

  test('parameter order never shows', () => {
    expect(canonicalKey('feed', { b: 1, a: 2 })).toBe(canonicalKey('feed', { a: 2, b: 1 }));
  });

  test.each(fixture.parse.valid)('parses $key', ({ key, name, params }) => {
    expect(parseKey(key)).toEqual({ name, params });
    expect(canonicalKey(name, params)).toBe(key);
  });

  test.each(fixture.parse.invalid)('refuses %j', (key) => {
    expect(() => parseKey(key)).toThrow(TypeError);
  });

  test.each(fixture.covers)('$key covers $name $params: $covers', (c) => {
    expect(covers(c.key, c.name, c.params)).toBe(c.covers);
  });
});

describe('errors', () => {
  test.each(fixture.errors)('$code from its body', (e) => {
    const error = MizanError.fromBody(e.body, e.status);
    expect(error).toBeInstanceOf(MizanError);
    expect(error.code).toBe(e.code);
    expect(error.status).toBe(e.status);
    expect(error.message).toBe((e.body as { error: { message: string } }).error.message);
    expect(error.isAuthError()).toBe(e.auth);
    expect(error.isValidationError()).toBe(e.validation);
    for (const [field, messages] of Object.entries(e.fields)) {
      expect(error.getFieldErrors(field)).toEqual(messages);
    }
  });

  test('a body that is not mizan’s is INVALID_RESPONSE, not the server’s error', () => {
    const error = MizanError.fromBody('<html>Bad Gateway</html>', 502);
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.isClientError()).toBe(false);
  });
});

describe('hydration payload', () => {
  test('the script the server writes reads back as the payload, and cannot be closed early', () => {
    document.body.innerHTML = fixture.hydration.script;
    expect(document.querySelectorAll('script')).toHaveLength(1);
    expect(getMizanHydration(document)).toEqual(fixture.hydration.payload);
  });

  test('a Node server writes the very block the Rust server writes', () => {
    expect(hydrationScript(fixture.hydration.payload)).toBe(fixture.hydration.script);
  });

  test('no block, or a malformed one, is no payload', () => {
    document.body.innerHTML = '';
    expect(getMizanHydration(document)).toBeUndefined();
    expect(parseHydration('{"version":2,"contexts":{}}')).toBeUndefined();
    expect(parseHydration('not json')).toBeUndefined();
  });
});
