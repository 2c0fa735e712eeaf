/** The JSON error codes the server answers with (`{error: {code, message}}`), by HTTP status. */
export const httpErrorCodes = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'QUEUE_FULL',
  500: 'INTERNAL',
  503: 'DRAINING',
} as const;
export type HttpStatus = keyof typeof httpErrorCodes;

/**
 * An error the server answers as `{error: {code, message}}` with its status; route handlers throw it and the
 * error handler renders it. The message names the field, file or route at fault.
 */
export class HttpError extends Error {
  readonly status: HttpStatus;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: HttpStatus, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = httpErrorCodes[status];
    this.headers = headers;
  }
}
