/**
 * The one error-code catalogue (code → HTTP status → default message), shared by the server, the agent and the
 * UI, in the spirit of Fastify's FST_ERR_* codes. Codes are the wire values of seeds 002/003/004; a route picks a
 * code, never a status, so the same failure always answers the same way.
 */
export const ERRORS = {
  VALIDATION_ERROR: { status: 400, message: 'Validation failed' },
  INVALID_JSON: { status: 400, message: 'Request body is not valid JSON' },
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  UNAUTHORIZED: { status: 401, message: 'Valid API key required' },
  AUTH_FAILED: { status: 401, message: 'Authentication failed' },
  INVALID_TOKEN: { status: 401, message: 'Invalid or expired token' },
  INVALID_CREDENTIALS: { status: 401, message: 'Invalid username or password' },
  INVALID_DEVICE_SECRET: { status: 401, message: 'Invalid device credentials' },
  TOKEN_INVALID: { status: 401, message: 'Invalid token: request a new one from your administrator' },
  FORBIDDEN: { status: 403, message: 'Insufficient permissions' },
  PERMISSION_DENIED: { status: 403, message: 'Insufficient permissions' },
  DEVICE_REVOKED: { status: 401, message: 'Device has been revoked: re-registration needed' },
  LICENSE_REVOKED: { status: 403, message: 'License has been revoked' },
  LICENSE_EXPIRED: { status: 403, message: 'License has expired' },
  NOT_FOUND: { status: 404, message: 'Resource not found' },
  DEVICE_NOT_FOUND: { status: 404, message: 'Device not found: contact your administrator' },
  CLIENT_NOT_FOUND: { status: 404, message: 'Client not found' },
  GROUP_NOT_FOUND: { status: 404, message: 'Group not found' },
  NOTIFICATION_NOT_FOUND: { status: 404, message: 'Notification not found' },
  ROUTE_NOT_FOUND: { status: 404, message: 'Route not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  ALREADY_REGISTERED: {
    status: 409,
    message: 'Device already registered: unregister first or use a new token',
  },
  CONFLICT: { status: 409, message: 'Conflict' },
  DEVICE_KEYS_TAKEN: {
    status: 409,
    message: 'Some device keys already exist or repeat: nothing was created',
  },
  BATCH_NOT_FOUND: { status: 404, message: 'Enrollment batch not found' },
  LICENSE_IN_USE: { status: 409, message: 'License is already activated on the maximum number of machines' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  REQUEST_TIMEOUT: { status: 408, message: 'Request timeout' },
  HEADERS_TOO_LARGE: { status: 431, message: 'Request headers or URL too large' },
  QUOTA_EXCEEDED: { status: 409, message: 'Quota exceeded' },
  RATE_LIMIT_EXCEEDED: { status: 429, message: 'Too many requests. Please try again later.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service unavailable' },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  SERVER_ERROR: { status: 500, message: 'Internal server error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, value);
}

/** One field-level validation problem, the shape of seed 002's `details` array. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** `/api/*` error envelope (seeds 000/002). */
export interface ApiErrorBody {
  success: false;
  error: string;
  code: ErrorCode;
  details?: unknown;
}

/** Device-route error envelope (seed 004). */
export interface DeviceErrorBody {
  ok: false;
  message: string;
  code: ErrorCode;
  details?: unknown;
}
