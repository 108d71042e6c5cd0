import type { CaughtSubmitError, SubmitFailure } from '../job-system-io';

/*
 * How the machine's `Submit Job` task (the Step Functions Batch integration, `batch:submitJob`) failed, as
 * its Catch recorded it: `{ Error, Cause }`. Step Functions names an integration's errors after the service
 * and the SDK exception: Batch's modelled ones are `Batch.ClientException` (HTTP 400: the request is wrong
 * and will be refused again) and `Batch.ServerException`; errors Batch does not model, throttling and
 * access denial among them, arrive as `Batch.AWSBatchException`, and client-side failures (a lost
 * connection, a timeout) as `Batch.SdkClientException`. The Cause is the SDK's message, ending in
 * `(Service: AWSBatch; Status Code: 400; Error Code: ClientException; Request ID: ...)`.
 */

/** The part of a Cause a person needs; Batch's messages are short, the rest is request ids. */
const MAX_MESSAGE_LENGTH = 1_000;

/** `Status Code: 403` in the SDK's message, if the Cause has one. */
function httpStatusIn(cause: string): number | undefined {
  const match = /Status Code: (\d{3})/.exec(cause);
  return match ? Number(match[1]) : undefined;
}

/**
 * A refusal (`Batch.ClientException`, or any 4xx but a 429 throttle: the request reached Batch and was
 * turned down) will be refused again: the wait ends. Anything else may have created the job before it
 * failed (a 5xx after the write, a lost response): the wait looks the business key up before submitting again.
 */
export function classifySubmitError(caught: CaughtSubmitError): SubmitFailure {
  const errorName =
    typeof caught.Error === 'string' && caught.Error !== '' ? caught.Error : 'States.TaskFailed';
  const cause = typeof caught.Cause === 'string' ? caught.Cause : JSON.stringify(caught.Cause ?? '');
  const status = httpStatusIn(cause);
  const permanent =
    errorName === 'Batch.ClientException' ||
    (status !== undefined && status >= 400 && status < 500 && status !== 429);
  // A throttle (429, TooManyRequestsException) refused the request before it created anything.
  const throttled = status === 429 || /TooManyRequests|Throttl/.test(`${errorName} ${cause}`);
  const message = cause.length > MAX_MESSAGE_LENGTH ? `${cause.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : cause;
  return { kind: 'submitFailed', permanent, throttled, errorName, message };
}
