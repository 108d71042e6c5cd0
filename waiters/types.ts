/**
 * The waiter model in botocore's waiter format, version 2 (botocore/data/<service>/<version>/waiters-2.json,
 * interpreted by botocore/waiter.py). Types only: behaviour lives in acceptors.ts and model.ts.
 */

/** What an acceptor decides when it matches (botocore: `AcceptorConfig.state`). */
export type AcceptorState = 'success' | 'failure' | 'retry';

/** How an acceptor looks at a poll's outcome (botocore: `AcceptorConfig.matcher`). */
export type Matcher = 'path' | 'pathAll' | 'pathAny' | 'status' | 'error';

export interface Acceptor {
  readonly state: AcceptorState;
  readonly matcher: Matcher;
  /** JMESPath expression; required by the path matchers, ignored by `status` and `error`. */
  readonly argument?: string;
  /**
   * The value to compare with. `status`: an HTTP status code. `error`: an error code, `""` for "no error",
   * or a boolean (true: any error, false: no error). Path matchers: any JSON value, compared deeply.
   */
  readonly expected: unknown;
}

export interface WaiterConfig {
  /** The API operation polled, e.g. `DescribeJobs`. */
  readonly operation: string;
  /** Seconds between polls (botocore's default delay), >= 0. */
  readonly delay: number;
  /** botocore's default attempt limit, >= 1. stepwait applies it only when a user sets it explicitly. */
  readonly maxAttempts: number;
  readonly description?: string;
  readonly acceptors: readonly Acceptor[];
}

export interface WaiterModelConfig {
  readonly version: 2;
  readonly waiters: Readonly<Record<string, WaiterConfig>>;
}

/**
 * The result of one poll, as an acceptor sees it: either the operation's output or the error it raised.
 * `httpStatusCode` feeds the `status` matcher.
 */
export type PollOutcome =
  | { output: unknown; httpStatusCode?: number }
  | { error: { name: string; message?: string }; httpStatusCode?: number };

export function isErrorOutcome(
  outcome: PollOutcome,
): outcome is { error: { name: string; message?: string }; httpStatusCode?: number } {
  return 'error' in outcome;
}
