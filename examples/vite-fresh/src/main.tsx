import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { MizanContext } from './api'
import App from './App.tsx'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MizanContext>
      <App />
    </MizanContext>
  </StrictMode>,
)
