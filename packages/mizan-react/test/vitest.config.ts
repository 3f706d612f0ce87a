import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: import.meta.dirname,
  // The runtime's sources (../src) import React and TanStack Query, which are installed here and
  // nowhere on the package's own path (so that an app linking the package finds only its own):
  // resolve them from this workspace, one copy for the sources and the tests.
  resolve: { dedupe: ['react', 'react-dom', '@tanstack/react-query'] },
  test: {
    environment: 'happy-dom',
    include: ['*.test.{ts,tsx}'],
  },
});
