// Compile-time checks of the generated hooks (`tsc --noEmit` reads this file; nothing imports
// it): every `@ts-expect-error` line must be an error, or tsc fails.
import { mizan, useEcho, useUpdateName, useUserProfile, type EchoResult } from './api';

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

  const result: EchoResult = { message: 'typed' };
  // @ts-expect-error keys take the context's params, typed
  mizan.user_profile.key({ user_id: 'one' });
  void result;
}
