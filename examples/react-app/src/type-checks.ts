// Compile-time checks of the generated hooks (`tsc --noEmit` reads this file; nothing imports
// it): every `@ts-expect-error` line must be an error, or tsc fails.
import {
  mizan,
  useContactForm,
  useEcho,
  useLogoutMutation,
  useUpdateName,
  useUpdateNameMutation,
  useUserProfile,
  type ContactArgs,
  type EchoResult,
} from './api';

export function typeChecks(): void {
  const echo = useEcho();
  void echo({ text: 'fine' });
  // @ts-expect-error a wrong argument type
  void echo({ text: 5 });
  // @ts-expect-error a missing argument
  void echo({});
  // @ts-expect-error an argument the function does not take
  void echo({ text: 'x', extra: true });

  const rename = useUpdateName();
  void rename({ user_id: 1, name: 'x' }).then((profile) => {
    const name: string = profile.name;
    // @ts-expect-error a mutation's result misused: it has no such field
    void profile.nickname;
    // @ts-expect-error a mutation's result misused: `user_id` is a number
    const id: string = profile.user_id;
    return [name, id];
  });

  // @ts-expect-error a context's params are required
  useUserProfile({});
  // @ts-expect-error a context's params have their types
  useUserProfile({ user_id: '1' });

  // A mutation without arguments is `mutate()`; one with arguments still needs them.
  useLogoutMutation().mutate();
  // @ts-expect-error `update_name` takes `user_id` and `name`
  useUpdateNameMutation().mutate();

  // Optimistic patches are typed by the contexts the mutation affects and its arguments.
  useUpdateNameMutation({
    optimistic: { user_profile: (profile, args) => ({ ...profile, name: args.name }) },
  });
  useUpdateName({
    // @ts-expect-error a patch returns the context's value
    optimistic: { user_profile: (profile) => profile.name },
  });
  useUpdateNameMutation({
    // @ts-expect-error `update_name` does not affect `site_stats`
    optimistic: { site_stats: (stats: unknown) => stats },
  });
  useUpdateNameMutation({
    // @ts-expect-error the arguments have their types: `user_id` is a number
    optimistic: { user_profile: (profile, args) => ({ ...profile, name: args.user_id }) },
  });

  // A form's schema drives a renderer: its fields' names are the arguments' keys.
  const form = useContactForm();
  for (const field of form.schema.fields) {
    const name: keyof ContactArgs = field.name;
    form.set(field.name, form.data[field.name]);
    // Its fields are all text: an input's value needs no cast.
    form.set(field.name, 'typed in');
    const messages: readonly string[] | undefined = form.errors[name];
    void messages;
  }
  // @ts-expect-error `contact` has no such field
  form.set('nickname', 'x');
  const failure: string | undefined = form.failure?.code;
  void failure;

  const result: EchoResult = { message: 'typed' };
  // @ts-expect-error keys take the context's params, typed
  mizan.user_profile.key({ user_id: 'one' });
  void result;
}
