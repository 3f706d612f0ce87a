// What a React team writes first against a mizan backend, from docs/react.md: a global context,
// a query, a mutation without arguments, a channel and a form rendered from its schema.
import { useState, type FormEvent } from 'react'
import type { FormState } from 'mizan-react'
import {
  MizanError,
  useChatChannel,
  useContactForm,
  useCurrentUser,
  useEcho,
  useLogoutMutation,
  useUserProfile,
} from './api'

function Header() {
  const user = useCurrentUser()
  const logout = useLogoutMutation()
  if (user.isPending) return <p>Loading…</p>
  if (user.error) return <p>{user.error.message}</p>
  return (
    <header>
      {user.data.name ?? 'Anonymous'}{' '}
      {user.data.is_authenticated && <button onClick={() => logout.mutate()}>Sign out</button>}
    </header>
  )
}

function Echo() {
  const echo = useEcho()
  const [answer, setAnswer] = useState('')
  const send = async () => {
    try {
      const { message } = await echo({ text: 'hi' })
      setAnswer(message)
    } catch (error) {
      if (error instanceof MizanError && error.isValidationError()) {
        setAnswer(error.getFieldErrors('text').join(', '))
      }
    }
  }
  return <button onClick={() => void send()}>{answer || 'Echo'}</button>
}

function Profile({ userId }: { userId: number }) {
  const profile = useUserProfile({ user_id: userId })
  return <p>{profile.data?.name}</p>
}

function Chat() {
  const chat = useChatChannel({ room: 'lobby' })
  return (
    <ul>
      {chat.messages.map((line, i) => (
        <li key={i}>
          {line.user}: {line.text}
        </li>
      ))}
      <li>
        <button onClick={() => void chat.send({ text: 'hello' })}>{chat.status}</button>
      </li>
    </ul>
  )
}

/** Any form, rendered from its schema: the fields' names are the arguments' keys. */
function SchemaForm<A extends object, R>({ form }: { form: FormState<A, R> }) {
  const submit = (event: FormEvent) => {
    event.preventDefault()
    void form.submit()
  }
  return (
    <form onSubmit={submit}>
      {form.schema.fields.map((field) => (
        <label key={field.name}>
          {field.label}
          <input
            value={String(form.data[field.name] ?? '')}
            onChange={(e) => form.set(field.name, e.target.value as A[typeof field.name])}
            onBlur={() => form.touch(field.name)}
          />
          {form.errors[field.name]?.join(', ')}
        </label>
      ))}
      {form.failure && <p>{form.failure.message}</p>}
      <button disabled={form.isSubmitting}>{form.schema.submit_label}</button>
    </form>
  )
}

function Contact() {
  return <SchemaForm form={useContactForm()} />
}

function App() {
  return (
    <>
      <Header />
      <Echo />
      <Profile userId={1} />
      <Chat />
      <Contact />
    </>
  )
}

export default App
