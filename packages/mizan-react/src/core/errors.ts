/**
 * `MizanError`: every failure of a call, with the server's code, message and details, or the
 * client's own `NETWORK_ERROR` (no answer) and `INVALID_RESPONSE` (an answer that is not
 * mizan's), so a transport failure is never mistaken for the server's `INTERNAL_ERROR`.
 */

/** The codes a server answers with, and the two only the client produces. */
export type MizanErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'VALIDATION_ERROR'
  | 'INTERNAL_ERROR'
  | 'NOT_IMPLEMENTED'
  | 'NETWORK_ERROR'
  | 'INVALID_RESPONSE';

const STATUS: Record<MizanErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  VALIDATION_ERROR: 422,
  INTERNAL_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  NETWORK_ERROR: 503,
  INVALID_RESPONSE: 502,
};

function isCode(code: unknown): code is MizanErrorCode {
  return typeof code === 'string' && Object.hasOwn(STATUS, code);
}

/** A failed call. */
export class MizanError extends Error {
  override readonly name = 'MizanError';
  /** What went wrong, as the wire spells it. */
  readonly code: MizanErrorCode;
  /** More about it: for `VALIDATION_ERROR`, `{ fields: { name: [message] } }`; else often `null`. */
  readonly details: unknown;
  /** The HTTP status the code is answered with (503 and 502 for the client-side codes). */
  readonly status: number;

  constructor(code: MizanErrorCode, message: string, details: unknown = null) {
    super(message);
    this.code = code;
    this.details = details;
    this.status = STATUS[code];
  }

  /**
   * The error a response body describes (`{"error": {"code", "message", "details"}}`), or
   * `INVALID_RESPONSE` when the body is not mizan's (a proxy's error page, another server).
   */
  static fromBody(body: unknown, status: number): MizanError {
    const error = (body as { error?: unknown } | null)?.error as
      | { code?: unknown; message?: unknown; details?: unknown }
      | undefined;
    if (error && isCode(error.code) && typeof error.message === 'string') {
      return new MizanError(error.code, error.message, error.details ?? null);
    }
    return new MizanError('INVALID_RESPONSE', `the server answered ${status} without a mizan error`);
  }

  /** `UNAUTHORIZED` or `FORBIDDEN`. */
  isAuthError(): boolean {
    return this.code === 'UNAUTHORIZED' || this.code === 'FORBIDDEN';
  }

  /** `VALIDATION_ERROR`. */
  isValidationError(): boolean {
    return this.code === 'VALIDATION_ERROR';
  }

  /** `NETWORK_ERROR`: the server was not reached; trying again later may work. */
  isNetworkError(): boolean {
    return this.code === 'NETWORK_ERROR';
  }

  /** Whether the call itself was refused (a 4xx): trying it again unchanged cannot help. */
  isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }

  /** The messages for one field of a `VALIDATION_ERROR` (empty when the field is fine). */
  getFieldErrors(field: string): string[] {
    const fields = (this.details as { fields?: Record<string, unknown> } | null)?.fields;
    const messages = fields?.[field];
    return Array.isArray(messages) ? messages.filter((m): m is string => typeof m === 'string') : [];
  }
}
