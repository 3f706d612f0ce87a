// The React app's entry: mizan's one provider around the app. The server put the visitor's
// global contexts into the page, so the first render needs no request.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import '../../../style/main.css';
import { MizanContext } from './api';
import { App } from './App';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <MizanContext>
        <App path={window.location.pathname.slice(import.meta.env.BASE_URL.length)} />
      </MizanContext>
    </StrictMode>,
  );
}
