// The example's React pages: the same #[client] functions as the Leptos pages, through the
// generated hooks only: a typed call (echo), sign-in and sign-out, a global and a local context,
// a mutation whose invalidations refresh exactly what it affects, a chat, and two forms. The test
// ids are the Leptos pages' own.
import { useState, type FormEvent, type ReactNode } from 'react';

import type { FormState } from 'mizan-react';

import {
  MizanError,
  useChatChannel,
  useContactForm,
  useSignUpForm,
  useCurrentUser,
  useEcho,
  useLogin,
  useLogout,
  useSiteStats,
  useUpdateNameMutation,
  useUserProfile,
} from './api';

/** `CODE: message`, as the Leptos pages show a failure. */
function describe(error: unknown): string {
  return error instanceof MizanError ? `${error.code}: ${error.message}` : String(error);
}

/** A link inside the app (served under Vite's base, `/react/`). */
function link(path: string): string {
  return `${import.meta.env.BASE_URL}${path}`;
}

function Header() {
  const user = useCurrentUser();
  const logout = useLogout();
  let who: ReactNode = '…';
  if (user.data) {
    who = user.data.is_authenticated
      ? `Signed in as ${user.data.name ?? ''}${user.data.is_staff ? ' (staff)' : ''}`
      : 'Not signed in';
  } else if (user.error) {
    who = describe(user.error);
  }
  return (
    <header className="site-header">
      <nav>
        <a href={link('')}>Home</a>
        <a href={link('users/1')}>Alice</a>
        <a href={link('users/2')}>Admin</a>
        <a href={link('chat/general')}>Chat</a>
        <a href={link('contact')}>Contact</a>
        <a href={link('signup')}>Sign up</a>
      </nav>
      <span className="who">
        <span data-testid="current-user">{who}</span>
        {user.data?.is_authenticated ? (
          <button data-testid="logout-submit" onClick={() => void logout()}>
            Sign out
          </button>
        ) : null}
      </span>
    </header>
  );
}

function Echo() {
  const echo = useEcho();
  const [text, setText] = useState('');
  const [answer, setAnswer] = useState('');
  const [error, setError] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      setAnswer((await echo({ text })).message);
      setError('');
    } catch (failure) {
      setAnswer('');
      const fields = failure instanceof MizanError ? failure.getFieldErrors('text') : [];
      setError(fields.length > 0 ? `text ${fields.join('; ')}` : describe(failure));
    }
  };
  return (
    <form className="card" onSubmit={(event) => void submit(event)}>
      <h2>Echo</h2>
      <label className="inline-field">
        Text
        <input data-testid="echo-input" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <button data-testid="echo-submit" type="submit">
        Send
      </button>
      <p data-testid="echo-result">{answer}</p>
      <p className="error" data-testid="error-message" role="alert">
        {error}
      </p>
    </form>
  );
}

function SignIn() {
  const login = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await login({ email, password });
      setError('');
    } catch (failure) {
      setError(describe(failure));
    }
  };
  return (
    <form className="card" onSubmit={(event) => void submit(event)}>
      <h2>Sign in</h2>
      <label className="inline-field">
        Email
        <input
          data-testid="login-email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      <label className="inline-field">
        Password
        <input
          data-testid="login-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <button data-testid="login-submit" type="submit">
        Sign in
      </button>
      <p className="error" data-testid="login-error" role="alert">
        {error}
      </p>
    </form>
  );
}

function Home() {
  const stats = useSiteStats();
  const user = useCurrentUser();
  return (
    <>
      <h1>mizan for Leptos — React</h1>
      <p className="lede">The same #[client] functions as the Leptos pages, through generated hooks.</p>
      <p data-testid="site-stats">{stats.data ? `${stats.data.accounts} accounts` : '…'}</p>
      <Echo />
      {/* A signed-in visitor signs out from the header. */}
      {user.data?.is_authenticated ? null : <SignIn />}
    </>
  );
}

function Profile({ userId }: { userId: number }) {
  const profile = useUserProfile({ user_id: userId });
  // The new name shows from the click on, as the server will store it (trimmed); the refetch the
  // answer starts replaces it, a refusal puts the old one back.
  const rename = useUpdateNameMutation({
    optimistic: { user_profile: (shown, args) => ({ ...shown, name: args.name.trim() }) },
  });
  const [name, setName] = useState('');
  return (
    <>
      <section className="card">
        {profile.data ? (
          <>
            <h1 data-testid="profile-name">{profile.data.name}</h1>
            {/* The server sends the email only to the user themselves and to staff. */}
            {profile.data.email === null ? null : <p data-testid="profile-email">{profile.data.email}</p>}
          </>
        ) : (
          <p data-testid="profile-error">{profile.error ? describe(profile.error) : 'Loading the profile…'}</p>
        )}
        <p aria-live="polite">{profile.isFetching && profile.data ? 'Refreshing…' : ''}</p>
      </section>
      <section className="card">
        <h2>Rename</h2>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            rename.mutate({ user_id: userId, name }, { onSuccess: () => setName('') });
          }}
        >
          <label className="inline-field">
            New name
            <input data-testid="rename-input" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <button data-testid="rename-submit" type="submit" disabled={rename.isPending}>
            Rename
          </button>
        </form>
        <p className="error" data-testid="error-message" role="alert">
          {rename.error ? describe(rename.error) : ''}
        </p>
      </section>
    </>
  );
}

function Chat({ room }: { room: string }) {
  const chat = useChatChannel({ room });
  const user = useCurrentUser();
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await chat.send({ text });
      setText('');
      setError('');
    } catch (failure) {
      setError(describe(failure));
    }
  };
  return (
    <section className="card">
      <h1>Chat: {room}</h1>
      <p data-testid="chat-status">{chat.status}</p>
      <ul className="chat-messages" data-testid="chat-messages">
        {chat.messages.map((line, i) => (
          <li data-testid="chat-message" key={i}>
            <b>{line.user}</b>: {line.text}
          </li>
        ))}
      </ul>
      <form onSubmit={(event) => void submit(event)}>
        <label className="inline-field">
          Message
          <input data-testid="chat-input" maxLength={500} value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <button data-testid="chat-send" type="submit">
          Send
        </button>
      </form>
      <p className="error" data-testid="error-message" role="alert">
        {error}
      </p>
      {/* Only members may chat: a visitor signs in here, and the room opens to them at once. */}
      {user.data?.is_authenticated === false ? <SignIn /> : null}
    </section>
  );
}

/** A form rendered from its schema, with the markup and classes of the Leptos `<MizanForm>` (test
 * ids `<form>-<field>`, `field-error-<field>`, ...): its rules run before any request, the
 * server's field errors land under their fields. */
function SchemaForm<A extends object, R>({ form }: { form: FormState<A, R> }) {
  const { schema } = form;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void form.submit();
  };
  return (
    <form className="mizan-form" data-testid={`${schema.name}-form`} noValidate onSubmit={submit}>
      <h2 className="mizan-form-title">{schema.title}</h2>
      {schema.fields.map((field) => {
        const id = `${schema.name}-${field.name}`;
        const errors = form.errors[field.name] ?? [];
        // Every widget here edits text; the form's rules check what the text says.
        const set = (text: string) => form.set(field.name, text as A[typeof field.name]);
        const common = {
          id,
          name: field.name,
          className: 'mizan-input',
          'data-testid': id,
          value: field.widget === 'password' ? undefined : String(form.data[field.name] ?? ''),
          onBlur: () => form.touch(field.name),
          'aria-invalid': errors.length > 0,
          'aria-describedby': field.help ? `${id}-help ${id}-errors` : `${id}-errors`,
        };
        let input: ReactNode;
        if (field.widget === 'textarea') {
          input = <textarea {...common} onChange={(e) => set(e.target.value)} />;
        } else if (field.widget === 'select') {
          input = (
            <select {...common} onChange={(e) => set(e.target.value)}>
              {(field.choices ?? []).map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          );
        } else {
          const type = field.widget === 'email' || field.widget === 'password' ? field.widget : 'text';
          input = <input {...common} type={type} onChange={(e) => set(e.target.value)} />;
        }
        return (
          <div className={errors.length > 0 ? 'mizan-field mizan-field-invalid' : 'mizan-field'} key={field.name}>
            <label className="mizan-label" htmlFor={id}>
              {field.label}
            </label>
            {input}
            {field.help ? (
              <p className="mizan-help" id={`${id}-help`}>
                {field.help}
              </p>
            ) : null}
            <ul className="mizan-field-errors" id={`${id}-errors`} data-testid={`field-error-${field.name}`}>
              {errors.map((message) => (
                <li key={message}>{message}</li>
              ))}
            </ul>
          </div>
        );
      })}
      <p className="mizan-form-error" role="alert" data-testid={`${schema.name}-error`}>
        {form.failure ? describe(form.failure) : ''}
      </p>
      <button className="mizan-submit" data-testid={`${schema.name}-submit`} type="submit" disabled={form.isSubmitting}>
        {schema.submit_label}
      </button>
      {form.result !== undefined && (
        <p className="mizan-form-success" role="status" data-testid={`${schema.name}-success`}>
          {schema.success_message}
        </p>
      )}
    </form>
  );
}

/** `contact`: the contact form; messages are stored by the server. */
function Contact() {
  return <SchemaForm form={useContactForm()} />;
}

/** `signup`: a new account; a registered email is refused by the server, under its field. */
function SignUp() {
  return <SchemaForm form={useSignUpForm()} />;
}

/** The page for a path under the app's base: `users/<id>`, `chat/<room>`, `contact`, `signup`, or home. */
export function App({ path }: { path: string }) {
  const user = /^users\/(\d+)\/?$/.exec(path);
  const room = /^chat\/([^/]+)\/?$/.exec(path);
  let page: ReactNode = <Home />;
  if (user?.[1]) page = <Profile userId={Number(user[1])} />;
  else if (room?.[1]) page = <Chat room={decodeURIComponent(room[1])} />;
  else if (/^contact\/?$/.test(path)) page = <Contact />;
  else if (/^signup\/?$/.test(path)) page = <SignUp />;
  return (
    <>
      <Header />
      <main>{page}</main>
    </>
  );
}
