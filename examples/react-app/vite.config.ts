import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/ and served by the Rust server at /react/ (with the visitor's contexts in the
// page). Under `npm run dev`, Vite serves it and forwards mizan's calls to the Rust server.
export default defineConfig({
  base: '/react/',
  plugins: [react()],
  // mizan-react is linked from packages/ (npm's default for a `file:` folder), whose own folder
  // has no React: its imports of React and TanStack Query resolve from this app, one copy each.
  resolve: { dedupe: ['react', 'react-dom', '@tanstack/react-query'] },
  server: {
    port: 5173,
    // mizan's calls, its socket (/api/mizan/ws/: `ws: true`, or realtime falls back to the
    // stream) and its stream (/api/mizan/sse/) go to the Rust server (`make dev`).
    proxy: { '/api': { target: 'http://127.0.0.1:3000', ws: true } },
    // Files the dev server may serve from outside this folder (paths from it): the stylesheet
    // shared with the Leptos pages, and the linked runtime's own files.
    fs: { allow: ['.', '../../style', '../../packages/mizan-react'] },
  },
});
