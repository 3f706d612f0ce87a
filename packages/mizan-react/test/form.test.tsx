// useMizanForm: the browser's rules first (an invalid form makes no request), then the server's
// answer: its result, or its field errors under their fields; live validation once a field is left;
// a form's redirect followed on success, unless the app says otherwise.
import { act, cleanup, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, test, vi } from 'vitest';

import { MizanProvider, createMizanClient, defineMutation } from '../src/react/index.js';
import {
  defineForm,
  isEmailAddress,
  useMizanForm,
  type FieldName,
  type FormRules,
  type FormSchema,
  type FormState,
  type MizanFormDefinition,
  type MizanFormOptions,
} from '../src/react/form.js';

afterEach(cleanup);

type Contact = { name: string; email: string };
const schema: FormSchema<FieldName<Contact>> = {
  name: 'contact',
  title: 'Contact us',
  submit_label: 'Send',
  success_message: 'Sent.',
  live_validation: true,
  initial: { name: '', email: '' },
  fields: [
    { name: 'name', label: 'Name', widget: 'text', required: true, constraints: { min_length: 1 } },
    { name: 'email', label: 'Email', widget: 'email', required: true, constraints: { email: true } },
  ],
};
/** Rules shaped like a Zod schema's `safeParse`. */
const rules: FormRules<Contact> = {
  safeParse(data) {
    const value = data as Contact;
    const issues = [
      ...(value.name.length === 0 ? [{ path: ['name'], message: 'is required' }] : []),
      ...(isEmailAddress(value.email) ? [] : [{ path: ['email'], message: 'must be an email address' }]),
    ];
    return issues.length === 0 ? { success: true, data: value } : { success: false, error: { issues } };
  },
};
const contact = defineForm(defineMutation<Contact, { id: number }>('contact'), schema, rules, {
  name: '',
  email: '',
});

function setUp(
  answer: (args: Contact) => object,
  status: number | (() => number) = 200,
  form: MizanFormDefinition<Contact, { id: number }> = contact,
  options?: MizanFormOptions,
) {
  const fetch = vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as { fn: string; args: Contact };
    return Response.json(answer(body.args), { status: typeof status === 'number' ? status : status() });
  });
  const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <MizanProvider client={client} realtime={false}>
      {children}
    </MizanProvider>
  );
  const { result } = renderHook(() => useMizanForm(form, options), { wrapper });
  return { fetch, result };
}

/**
 * A renderer driven by the schema alone, as an app writes one for all its forms: `field.name` is
 * one of the arguments' keys, so it indexes `data` and goes to `set` without a cast.
 */
function setEveryField(form: FormState<Contact, { id: number }>, value: (name: keyof Contact) => string) {
  for (const field of form.schema.fields) {
    const before: string = form.data[field.name];
    void before;
    form.set(field.name, value(field.name));
  }
}

describe('useMizanForm', () => {
  test('an invalid form shows its fields’ errors and makes no request; a valid one is sent', async () => {
    const { fetch, result } = setUp(() => ({ result: { id: 7 }, invalidate: [] }));
    act(() => result.current.set('email', 'not-an-email'));
    let outcome = await act(() => result.current.submit());
    expect(outcome).toEqual({ success: false });
    expect(fetch).not.toHaveBeenCalled();
    expect(result.current.errors).toEqual({
      name: ['is required'],
      email: ['must be an email address'],
    });

    act(() => result.current.set('name', 'Zoë'));
    act(() => result.current.set('email', 'zoe+site@bücher.de'));
    outcome = await act(() => result.current.submit());
    expect(outcome).toEqual({ success: true, data: { id: 7 } });
    expect(result.current.result).toEqual({ id: 7 });
    expect(result.current.errors).toEqual({});
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/mizan/call/');
    expect(JSON.parse(String(init.body))).toEqual({
      fn: 'contact',
      args: { name: 'Zoë', email: 'zoe+site@bücher.de' },
    });
  });

  test('the server’s field errors appear under their fields', async () => {
    const { result } = setUp(
      () => ({
        error: {
          code: 'VALIDATION_ERROR',
          message: 'invalid',
          details: { fields: { email: ['is already registered'] } },
        },
      }),
      422,
    );
    act(() => result.current.set('name', 'Al'));
    act(() => result.current.set('email', 'alice@example.com'));
    const outcome = await act(() => result.current.submit());
    expect(outcome).toEqual({ success: false });
    expect(result.current.errors).toEqual({ email: ['is already registered'] });
    expect(result.current.failure).toBeUndefined();
  });

  test('a schema-driven renderer sets each field by its name', async () => {
    const { fetch, result } = setUp(() => ({ result: { id: 3 }, invalidate: [] }));
    act(() => setEveryField(result.current, (name) => (name === 'email' ? 'ann@example.com' : 'Ann')));
    expect(result.current.data).toEqual({ name: 'Ann', email: 'ann@example.com' });
    expect(await act(() => result.current.submit())).toEqual({ success: true, data: { id: 3 } });
    expect(fetch).toHaveBeenCalledTimes(1);
    // @ts-expect-error a name the form does not have
    result.current.set('nickname', 'x');
  });

  test('a failure that is not about fields is `failure`, cleared by the next submission', async () => {
    let refuse = true;
    const { result } = setUp(
      () =>
        refuse
          ? { error: { code: 'UNAUTHORIZED', message: 'sign in', details: null } }
          : { result: { id: 4 }, invalidate: [] },
      () => (refuse ? 401 : 200),
    );
    act(() => result.current.set('name', 'Al'));
    act(() => result.current.set('email', 'al@example.com'));
    expect(await act(() => result.current.submit())).toEqual({ success: false });
    expect(result.current.failure?.code).toBe('UNAUTHORIZED');
    expect(result.current.errors).toEqual({});
    refuse = false;
    void (await act(() => result.current.submit()));
    expect(result.current.failure).toBeUndefined();
  });

  test('live validation checks a field once it has been left', () => {
    const { result } = setUp(() => ({ result: { id: 1 }, invalidate: [] }));
    act(() => result.current.set('email', 'x'));
    expect(result.current.errors, 'not visited yet').toEqual({});
    act(() => result.current.touch('email'));
    expect(result.current.errors).toEqual({ email: ['must be an email address'] });
    act(() => result.current.set('email', 'x@example.com'));
    expect(result.current.errors).toEqual({});
  });
});

/** The contact form, sending the browser to `/thanks` once it succeeded. */
const redirecting = defineForm(
  defineMutation<Contact, { id: number }>('contact'),
  { ...schema, redirect: '/thanks' },
  rules,
  { name: 'Ann', email: 'ann@example.com' },
);

describe('a form’s redirect', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('is loaded as a new page after a success, by default', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    const { result } = setUp(() => ({ result: { id: 1 }, invalidate: [] }), 200, redirecting);
    expect(await act(() => result.current.submit())).toEqual({ success: true, data: { id: 1 } });
    expect(assign).toHaveBeenCalledWith('/thanks');
    expect(result.current.result).toEqual({ id: 1 });
  });

  test('goes through the app’s own navigation when given one, or nowhere with `false`', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    const navigate = vi.fn();
    const routed = setUp(() => ({ result: { id: 2 }, invalidate: [] }), 200, redirecting, { redirect: navigate });
    await act(() => routed.result.current.submit());
    expect(navigate).toHaveBeenCalledWith('/thanks');

    const staying = setUp(() => ({ result: { id: 3 }, invalidate: [] }), 200, redirecting, { redirect: false });
    expect(await act(() => staying.result.current.submit())).toEqual({ success: true, data: { id: 3 } });
    expect(assign).not.toHaveBeenCalled();
  });

  test('is not followed when the submission fails, nor by a form without one', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    const refused = setUp(
      () => ({ error: { code: 'UNAUTHORIZED', message: 'wrong email or password', details: null } }),
      401,
      redirecting,
    );
    expect(await act(() => refused.result.current.submit())).toEqual({ success: false });
    expect(refused.result.current.failure?.message).toBe('wrong email or password');
    cleanup();

    const plain = setUp(() => ({ result: { id: 4 }, invalidate: [] }));
    act(() => setEveryField(plain.result.current, (name) => (name === 'email' ? 'a@example.com' : 'A')));
    expect(await act(() => plain.result.current.submit())).toEqual({ success: true, data: { id: 4 } });
    expect(assign).not.toHaveBeenCalled();
  });
});
