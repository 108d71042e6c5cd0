/**
 * An error Batch itself would answer with. It travels in the REST-JSON error shape (restJson1): the HTTP
 * status, the error name in the `x-amzn-errortype` header and `{ "message": ... }` as the body. The SDK's
 * `loadRestJsonErrorCode` reads the header first (then a body `code`, then `__type`), so the header alone
 * names the exception it raises.
 */
export class BatchApiError extends Error {
  override readonly name = 'BatchApiError';

  constructor(
    /** The HTTP status code. */
    readonly status: number,
    /** The error name the SDK raises, e.g. `ClientException`. */
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

/** Bad input: Batch's modelled `ClientException` (HTTP 400). */
export function clientError(message: string): BatchApiError {
  return new BatchApiError(400, 'ClientException', message);
}

/**
 * Throttling. Batch does not model it, so the SDK raises a generic BatchServiceException named
 * `TooManyRequestsException`; the retry strategy knows that name and status 429 as throttling.
 */
export function throttlingError(): BatchApiError {
  return new BatchApiError(429, 'TooManyRequestsException', 'Too Many Requests');
}

/** A service-side failure: Batch's modelled `ServerException` (HTTP 500). */
export function serverError(message: string): BatchApiError {
  return new BatchApiError(500, 'ServerException', message);
}

/** No operation at this method and path (what API front ends answer for an unknown route). */
export function unknownOperationError(method: string, path: string, known: readonly string[]): BatchApiError {
  return new BatchApiError(
    404,
    'UnknownOperationException',
    `the Batch emulator has no operation at ${method} ${path}; it serves POST ${known.join(', ')}`,
  );
}
