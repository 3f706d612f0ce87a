/**
 * mizan for React, on TanStack Query v5: the provider, the hooks the generated code wraps, and
 * the definitions behind `mizan.<fn>.queryOptions(...)`. The framework-agnostic runtime is
 * `mizan-react/core`.
 */

export {
  defineChannel,
  defineContext,
  defineMutation,
  defineQuery,
  isMizanQueryKey,
  retryUnlessRefused,
  type DefineOptions,
  type MizanChannel,
  type MizanFunction,
  type MizanFunctionKind,
  type MizanQueryKey,
  type MizanVariables,
} from './define.js';
export {
  defineForm,
  ruleErrors,
  useMizanForm,
  type FieldErrors,
  type FieldName,
  type FieldSchema,
  type FormResult,
  type FormRules,
  type FormSchema,
  type FormState,
  type MizanFormDefinition,
  type MizanFormOptions,
  type RuleIssue,
  type Widget,
} from './form.js';
export {
  useMizanCall,
  useMizanChannel,
  useMizanMutation,
  useMizanQuery,
  type CallArgs,
  type ChannelState,
} from './hooks.js';
export {
  MizanProvider,
  createMizanQueryClient,
  invalidateCovered,
  seedHydration,
  useMizanClient,
  useMizanSocket,
  useMizanSocketStatus,
  watchContexts,
  type MizanProviderProps,
} from './provider.js';
export * from '../core/index.js';
