import type { StatusCallResult } from '../waiters';
import type { RetryableFailure } from './job-system-io';

/**
 * One JSON call to a job system's HTTP API, sorted the way the poller needs it: an answer (with its HTTP
 * status, for the acceptors and for 404s), or a failure worth retrying in the machine. 429 is a throttle
 * and 5xx or a lost connection a transient error (RFC 9110: both may carry Retry-After, honoured up to
 * the deadline); they never consume attempts. A body that is not JSON fails closed as an error outcome
 * (`InvalidResponse`), which no acceptor expects: StepWait.PollFailed names it.
 */

export interface HttpJsonRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** The whole call; a hung system comes back as a transient error well inside the poller's 30 s. */
  timeoutMs?: number;
}

export type HttpJsonAnswer = { httpStatusCode: number; body: unknown; text: string };

/** The fetch the poller uses (Node's global one when deployed; tests and local runs inject theirs). */
export type Fetch = typeof fetch;

/** The longest body a status call may return: a job is a few kilobytes. Larger is not a job. */
export const MAX_BODY_BYTES = 1_000_000;

/** Seconds from a Retry-After header: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
export function retryAfterSeconds(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

export async function httpJson(
  fetchFn: Fetch,
  request: HttpJsonRequest,
  nowMs: () => number = Date.now,
): Promise<RetryableFailure | HttpJsonAnswer> {
  let response: Response;
  let text: string;
  try {
    response = await fetchFn(request.url, {
      method: request.method,
      headers: {
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...request.headers,
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      redirect: 'error',
      signal: AbortSignal.timeout(request.timeoutMs ?? 10_000),
    });
    text = await response.text();
  } catch (error) {
    const name = error instanceof Error ? error.name : 'FetchError';
    return {
      kind: 'transient',
      errorName: name === 'TimeoutError' ? 'TimeoutError' : `NetworkError(${name})`,
    };
  }
  const retryAfter = retryAfterSeconds(response.headers.get('retry-after'), nowMs());
  const after = retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter };
  if (response.status === 429) return { kind: 'throttled', errorName: 'HTTP 429', ...after };
  if (response.status >= 500) return { kind: 'transient', errorName: `HTTP ${response.status}`, ...after };
  let body: unknown;
  if (text.length > MAX_BODY_BYTES) {
    body = undefined;
  } else {
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  return { httpStatusCode: response.status, body, text };
}

/** An answer that is not what the API documents, as an error outcome the acceptors do not expect. */
export function invalidResponse(answer: HttpJsonAnswer, what: string): StatusCallResult {
  const excerpt = answer.text.length > 200 ? `${answer.text.slice(0, 197)}...` : answer.text;
  return {
    error: {
      name: 'InvalidResponse',
      message: `HTTP ${answer.httpStatusCode}: expected ${what}, got ${JSON.stringify(excerpt)}`,
    },
    httpStatusCode: answer.httpStatusCode,
  };
}

/** A refusal (401, 403, or another 4xx the API does not document for the call), as an error outcome. */
export function refused(answer: HttpJsonAnswer): StatusCallResult {
  const names: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 400: 'BadRequest' };
  const excerpt = answer.text.length > 200 ? `${answer.text.slice(0, 197)}...` : answer.text;
  return {
    error: {
      name: names[answer.httpStatusCode] ?? `HTTP ${answer.httpStatusCode}`,
      message: `HTTP ${answer.httpStatusCode}${excerpt ? `: ${excerpt}` : ''}`,
    },
    httpStatusCode: answer.httpStatusCode,
  };
}
