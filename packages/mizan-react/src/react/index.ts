/**
 * mizan for React, on TanStack Query v5: the provider, the hooks the generated code wraps, and
 * the definitions behind `mizan.<fn>.queryOptions(...)`, with the client, errors, keys and
 * hydration they use. The socket and channels are `mizan-react/realtime`, forms
 * `mizan-react/forms` (entries of their own, so an app that has none does not carry them); the
 * framework-agnostic runtime, all of it, is `mizan-react/core` (with what a Node server that
 * renders the app uses: `prefetchContexts`, `hydrationScript`).
 */

export {
  defineContext,
  defineMutation,
  defineQuery,
  retryUnlessRefused,
  type DefineMutationOptions,
  type DefineOptions,
  type MizanFunction,
  type MizanFunctionKind,
  type MizanVariables,
} from './define.js';
export {
  useMizanCall,
  useMizanMutation,
  useMizanQuery,
  type CallArgs,
  type MizanCallOptions,
} from './hooks.js';
export { type OptimisticPatch, type OptimisticPatches } from './optimistic.js';
export { coveredBy, isMizanQueryKey, type MizanQueryKey } from './query-keys.js';
export {
  MizanProvider,
  createMizanQueryClient,
  invalidateCovered,
  seedHydration,
  useMizanClient,
  useMizanSocket,
  useMizanSocketStatus,
  type MizanProviderProps,
  type OpenSocket,
  type OpenedSocket,
} from './provider.js';
export { InvalidationBus, type InvalidationListener } from '../core/bus.js';
export {
  BATCH_PATH,
  CALL_PATH,
  IDENTITY_CHANGED,
  IDENTITY_HEADER,
  MAX_BATCH_CALLS,
  MizanClient,
  createMizanClient,
  type CallOptions,
  type Envelope,
  type MizanClientOptions,
  type SocketRpc,
} from '../core/client.js';
export { MizanError, type MizanErrorCode } from '../core/errors.js';
export {
  HYDRATION_ELEMENT_ID,
  getMizanHydration,
  parseHydration,
  type MizanHydration,
} from '../core/hydration.js';
export { canonicalKey, covers, parseKey, type KeyParams, type ParsedKey } from '../core/keys.js';
// Types cost nothing at run time: the other entries' are named here too.
export type {
  FieldErrors,
  FieldName,
  FieldSchema,
  FormResult,
  FormRules,
  FormSchema,
  FormState,
  MizanFormDefinition,
  MizanFormOptions,
  RuleIssue,
  Widget,
} from './form.js';
export type { ChannelState, MizanChannel } from './realtime.js';
export type {
  ChannelListener,
  MizanSocket,
  MizanSocketOptions,
  SocketStatus,
  Transport,
} from '../core/socket.js';
