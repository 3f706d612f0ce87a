import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/ and served by the Rust server at /react/ (with the visitor's contexts in the
// page). Under `npm run dev`, Vite serves it and forwards mizan's calls to the Rust server.
export default defineConfig({
  base: '/react/',
  plugins: [react()],
  // mizan-react is linked from packages/: one React and one TanStack Query, the app's.
  resolve: { dedupe: ['react', 'react-dom', '@tanstack/react-query'] },
  server: {
    port: 5173,
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
