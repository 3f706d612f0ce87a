/**
 * mizan for React, on TanStack Query v5: the provider, the hooks the generated code wraps, and
 * the definitions behind `mizan.<fn>.queryOptions(...)`. The framework-agnostic runtime is
 * `mizan-react/core`.
 */

export {
  defineContext,
  defineMutation,
  defineQuery,
  isMizanQueryKey,
  retryUnlessRefused,
  type MizanFunction,
  type MizanFunctionKind,
  type MizanQueryKey,
} from './define.js';
export { useMizanCall, useMizanMutation, useMizanQuery, type CallArgs } from './hooks.js';
export {
  MizanProvider,
  createMizanQueryClient,
  invalidateCovered,
  seedHydration,
  useMizanClient,
  useMizanSocketStatus,
  watchContexts,
  type MizanProviderProps,
} from './provider.js';
export * from '../core/index.js';
