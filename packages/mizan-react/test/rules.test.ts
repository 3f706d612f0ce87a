// The browser's form rules give the answers of the server's `validator` crate on the shared
// fixture (fixtures/forms.json), which `cargo test` checks on the Rust side.
import { describe, expect, test } from 'vitest';

import forms from '../../../fixtures/forms.json' with { type: 'json' };
import { characterCount, isEmailAddress } from '../src/core/index.js';

describe('the fixture', () => {
  test.each(forms.email as [string, boolean][])('email %j → %s', (text, valid) => {
    expect(isEmailAddress(text)).toBe(valid);
  });

  test.each(forms.characters as [string, number][])('characters in %j → %i', (text, count) => {
    expect(characterCount(text)).toBe(count);
  });
});
