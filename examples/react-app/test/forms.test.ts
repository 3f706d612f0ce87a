// The generated Zod schemas refuse exactly the fields the Rust rules refuse, on the shared fixture
// (fixtures/forms.json; `cargo test` runs the same cases through the server's rules).
import { describe, expect, test } from 'vitest';

import fixture from '../../../fixtures/forms.json' with { type: 'json' };
import { changePasswordFormRules, contactFormRules, signUpFormRules } from '../src/api/generated.forms';

interface Case {
  values: Record<string, unknown>;
  invalid: string[];
}

/** The fields a schema refuses in `values`, in name order. */
function refused(rules: { safeParse(data: unknown): { success: boolean; error?: { issues: { path: PropertyKey[] }[] } } }, values: unknown): string[] {
  const checked = rules.safeParse(values);
  if (checked.success) return [];
  return [...new Set((checked.error?.issues ?? []).map((issue) => String(issue.path[0])))].sort();
}

describe('the generated rules agree with the server’s', () => {
  test.each((fixture.contact as Case[]).map((c) => [JSON.stringify(c.values).slice(0, 80), c] as const))(
    'contact %s',
    (_, { values, invalid }) => {
      expect(refused(contactFormRules, values)).toEqual(invalid);
    },
  );
  test.each((fixture.sign_up as Case[]).map((c) => [JSON.stringify(c.values).slice(0, 80), c] as const))(
    'sign_up %s',
    (_, { values, invalid }) => {
      expect(refused(signUpFormRules, values)).toEqual(invalid);
    },
  );
  test.each((fixture.change_password as Case[]).map((c) => [JSON.stringify(c.values).slice(0, 80), c] as const))(
    'change_password %s',
    (_, { values, invalid }) => {
      expect(refused(changePasswordFormRules, values)).toEqual(invalid);
    },
  );
  test('a confirmation that does not match says so under its own field, in the server’s words', () => {
    const checked = changePasswordFormRules.safeParse({ password: 'a new password', confirmation: 'other' });
    expect(checked.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [['confirmation'], 'does not match the new password'],
    ]);
  });
});
