/**
 * `mizan-react/forms`: a `#[derive(Form)]` struct's submission with its schema and its rules, and
 * `useMizanForm`, the state the generated `useContactForm()` answers (values, `set`, errors merged
 * per field from the browser's rules and the server's, `submit`, the form's redirect on success);
 * with the server's rules the generated Zod schemas call. A separate entry: an app without forms
 * does not carry it.
 */

import { useCallback, useMemo, useState } from 'react';

import { MizanError } from '../core/errors.js';
import type { MizanFunction } from './define.js';
import { useMizanClient } from './provider.js';

export { characterCount, isEmailAddress } from '../core/rules.js';

/** How a field is edited. */
export type Widget = 'text' | 'email' | 'textarea' | 'number' | 'checkbox' | 'select' | 'password';

/** A form's field names: the keys of its arguments object. */
export type FieldName<A extends object> = keyof A & string;

/**
 * One field of a form's schema (the server's `FieldSchema`). `K` is the form's field names, so
 * a renderer driven by the schema can pass `field.name` to `set` and index `data` with it.
 */
export interface FieldSchema<K extends string = string> {
  /** Its name in the arguments object (the wire's name). */
  readonly name: K;
  readonly label: string;
  readonly help?: string;
  readonly widget: Widget;
  readonly required: boolean;
  /** Declared `Option<...>` on the server: it may be left out. */
  readonly optional?: boolean;
  readonly constraints: {
    readonly min_length?: number;
    readonly max_length?: number;
    readonly min?: number;
    readonly max?: number;
    readonly email?: boolean;
    /** The field it must equal (a confirmation): `must_match(other = "password")`. */
    readonly must_match?: string;
    readonly messages?: Readonly<Record<string, string>>;
  };
  readonly choices?: readonly { readonly value: string; readonly label: string }[];
}

/** What user interfaces render a form from (the server's `FormSchema`); `K` its field names. */
export interface FormSchema<K extends string = string> {
  readonly name: string;
  readonly title: string;
  readonly submit_label: string;
  readonly success_message: string;
  readonly live_validation: boolean;
  /** The path of this site a successful submission goes to (`#[form(redirect = "/")]`). */
  readonly redirect?: string;
  /** The values a new form starts with. */
  readonly initial: unknown;
  readonly fields: readonly FieldSchema<K>[];
}

/** One failing check, as Zod reports it. */
export interface RuleIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** What checks a form's values in the browser: a Zod schema fits. */
export interface FormRules<A> {
  safeParse(
    data: unknown,
  ): { success: true; data: A } | { success: false; error: { issues: readonly RuleIssue[] } };
}

/** A form: its submission, schema, rules and first values. */
export interface MizanFormDefinition<A extends object, R> {
  readonly fn: MizanFunction<A, R>;
  readonly schema: FormSchema<FieldName<A>>;
  readonly rules: FormRules<A>;
  readonly initial: A;
}

/** A form's definition (what the generated code writes per form). */
export function defineForm<A extends object, R>(
  fn: MizanFunction<A, R>,
  schema: FormSchema<FieldName<A>>,
  rules: FormRules<A>,
  initial: A,
): MizanFormDefinition<A, R> {
  return { fn, schema, rules, initial };
}

/** What `useMizanForm` does beyond the form's definition. */
export interface MizanFormOptions {
  /**
   * What a successful submission of a form with a `redirect` (`#[form(redirect = "/")]`) does
   * after `result` is set: `true` (the default) loads that path as a new page, a full load since
   * such forms usually sign in or out and every query should start over as the new visitor; a
   * function is called with the path instead (a router's `navigate`); `false` stays on the page.
   */
  readonly redirect?: boolean | ((path: string) => void);
}

/** Each failing field's messages, by field name (a field without errors is absent). */
export type FieldErrors = Readonly<Record<string, readonly string[]>>;

/** What a submission came to. */
export interface FormResult<R> {
  readonly success: boolean;
  readonly data?: R;
}

/** A form's state in a component. */
export interface FormState<A extends object, R> {
  /** What to render it from: its fields' names are `A`'s keys. */
  readonly schema: FormSchema<FieldName<A>>;
  /** The values, starting from the schema's `initial`. */
  readonly data: A;
  /** Sets one field; with live validation a visited field is checked again. */
  set<K extends FieldName<A>>(field: K, value: A[K]): void;
  /** Marks a field visited (it left focus): with live validation its rules run from now on. */
  touch(field: FieldName<A>): void;
  /**
   * Each field's messages: the browser's rules' (for visited fields as they change, with live
   * validation; for every field at `submit`), or, when the server refused the submission with a
   * `VALIDATION_ERROR`, the server's, which replace them. A field without errors is absent.
   */
  readonly errors: FieldErrors;
  /**
   * Checks every field, then sends the form; an invalid form makes no request. A success of a
   * form with a `redirect` then goes there (see `MizanFormOptions`).
   */
  submit(): Promise<FormResult<R>>;
  /** While a submission is on its way. */
  readonly isSubmitting: boolean;
  /** What the last successful submission answered. */
  readonly result: R | undefined;
  /**
   * Why the last submission failed when it was not about fields (`UNAUTHORIZED`, a server
   * error, `NETWORK_ERROR`...); cleared by the next `submit`. Field errors go to `errors`.
   */
  readonly failure: MizanError | undefined;
}

/** The browser's rules' failures, per field. */
export function ruleErrors<A>(rules: FormRules<A>, data: A): FieldErrors {
  const checked = rules.safeParse(data);
  if (checked.success) return {};
  const errors: Record<string, string[]> = {};
  for (const issue of checked.error.issues) {
    const field = String(issue.path[0] ?? '');
    (errors[field] ??= []).push(issue.message);
  }
  return errors;
}

/** The field errors of a server's `VALIDATION_ERROR`, if it is one. */
function serverErrors(error: unknown): FieldErrors | undefined {
  if (!(error instanceof MizanError) || !error.isValidationError()) return undefined;
  const fields = (error.details as { fields?: unknown } | null | undefined)?.fields;
  if (fields === null || typeof fields !== 'object') return undefined;
  return fields as FieldErrors;
}

/** Goes to a form's `path` after a success, as `how` says (see `MizanFormOptions.redirect`). */
function follow(path: string | undefined, how: MizanFormOptions['redirect'] = true): void {
  if (path === undefined || how === false) return;
  if (typeof how === 'function') how(path);
  else window.location.assign(path);
}

/** Only the errors of `visited` fields. */
function visitedOnly(errors: FieldErrors, visited: ReadonlySet<string>): FieldErrors {
  return Object.fromEntries(Object.entries(errors).filter(([field]) => visited.has(field)));
}

/** A form's state: see [`FormState`]; `options.redirect` says what a success does (see
 * [`MizanFormOptions`]). */
export function useMizanForm<A extends object, R>(
  form: MizanFormDefinition<A, R>,
  options: MizanFormOptions = {},
): FormState<A, R> {
  const redirect = options.redirect;
  const client = useMizanClient();
  const [data, setData] = useState<A>(form.initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [visited, setVisited] = useState<ReadonlySet<string>>(new Set());
  const [isSubmitting, setSubmitting] = useState(false);
  const [result, setResult] = useState<R | undefined>(undefined);
  const [failure, setFailure] = useState<MizanError | undefined>(undefined);

  const set = useCallback(
    <K extends FieldName<A>>(field: K, value: A[K]) => {
      setData((previous) => {
        const next = { ...previous, [field]: value };
        if (form.schema.live_validation) setErrors(visitedOnly(ruleErrors(form.rules, next), visited));
        return next;
      });
    },
    [form, visited],
  );

  const touch = useCallback(
    (field: FieldName<A>) => {
      const next = new Set(visited).add(field);
      setVisited(next);
      if (form.schema.live_validation) setErrors(visitedOnly(ruleErrors(form.rules, data), next));
    },
    [form, visited, data],
  );

  const submit = useCallback(async (): Promise<FormResult<R>> => {
    setVisited(new Set(form.schema.fields.map((field) => field.name)));
    setFailure(undefined);
    const local = ruleErrors(form.rules, data);
    setErrors(local);
    if (Object.keys(local).length > 0) return { success: false };
    setSubmitting(true);
    let answer: R;
    try {
      answer = await client.call<R>(form.fn.name, data);
    } catch (error) {
      const fields = serverErrors(error);
      if (fields) setErrors(fields);
      else setFailure(error instanceof MizanError ? error : new MizanError('NETWORK_ERROR', String(error)));
      return { success: false };
    } finally {
      setSubmitting(false);
    }
    setResult(answer);
    // After the answer is kept: a router's `navigate` may render the next page at once.
    follow(form.schema.redirect, redirect);
    return { success: true, data: answer };
  }, [client, form, data, redirect]);

  return useMemo(
    () => ({ schema: form.schema, data, set, touch, errors, submit, isSubmitting, result, failure }),
    [form.schema, data, set, touch, errors, submit, isSubmitting, result, failure],
  );
}
