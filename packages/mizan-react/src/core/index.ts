/**
 * mizan's framework-agnostic runtime (no dependencies): calls, batched reads, errors, context
 * keys, the invalidation bus, the hydration reader and the rule of optimistic patches.
 */

export { reconnectDelay } from './backoff.js';
export { InvalidationBus, type InvalidationListener } from './bus.js';
export {
  BATCH_PATH,
  CALL_PATH,
  IDENTITY_CHANGED,
  IDENTITY_HEADER,
  MAX_BATCH_CALLS,
  MizanClient,
  createMizanClient,
  prefetchContexts,
  type CallOptions,
  type Envelope,
  type MizanClientOptions,
  type SocketRpc,
} from './client.js';
export { MizanError, type MizanErrorCode } from './errors.js';
export {
  HYDRATION_ELEMENT_ID,
  getMizanHydration,
  hydrationScript,
  parseHydration,
  type MizanHydration,
} from './hydration.js';
export {
  CLOSE_CODES,
  MAX_SOCKET_MESSAGE_BYTES,
  PACING_MS,
  SOCKET_VERSION,
  encodeClientFrame,
  fitsOneMessage,
  keyBatches,
  readServerFrame,
  type ClientFrame,
  type FrameError,
  type ServerFrame,
} from './frames.js';
export { canonicalKey, covers, parseKey, type KeyParams, type ParsedKey } from './keys.js';
export { OptimisticLedger, mutationCovers, type MutationId } from './optimistic.js';
export { characterCount, isEmailAddress } from './rules.js';
export {
  IDENTITY_CHANNEL,
  MizanSocket,
  SOCKET_PATH,
  SSE_PATH,
  TRANSPORT_STORAGE_KEY,
  type ChannelListener,
  type Transport,
  type MizanSocketOptions,
  type SocketStatus,
} from './socket.js';
