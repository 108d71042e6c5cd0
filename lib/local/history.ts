/**
 * Step Functions Standard limits and prices that the local engine does not enforce or report, with the
 * counting model of DESIGN.md ("Cost and history model").
 */
export const HISTORY_EVENT_LIMIT = 25_000;
export const PAYLOAD_LIMIT_BYTES = 262_144;

/** History events per state entered: a Lambda task writes entered, scheduled, started, succeeded, exited. */
export function historyEventsForState(type: string): number {
  return type === 'Task' ? 5 : 2;
}
/** A retried task writes scheduled, started and failed again. */
export const HISTORY_EVENTS_PER_RETRY = 3;
/** ExecutionStarted and the closing event. */
export const HISTORY_EVENTS_PER_EXECUTION = 2;

export const PRICE_PER_STATE_TRANSITION_USD = 0.025 / 1000;
export const PRICE_PER_LAMBDA_REQUEST_USD = 0.2 / 1_000_000;
export const PRICE_PER_LAMBDA_GB_SECOND_USD = 0.0000166667;

export interface UsageCounts {
  stateTransitions: number;
  lambdaInvocations: number;
  /** Billed duration per invocation, in ms (Lambda rounds up to 1 ms). */
  lambdaMillisecondsEach?: number;
  lambdaMemoryMb?: number;
}

/** Estimated AWS cost of a wait: Step Functions transitions plus Lambda requests and compute. */
export function estimatedCostUsd(usage: UsageCounts): number {
  const gbSeconds =
    usage.lambdaInvocations *
    ((usage.lambdaMillisecondsEach ?? 100) / 1000) *
    ((usage.lambdaMemoryMb ?? 256) / 1024);
  return (
    usage.stateTransitions * PRICE_PER_STATE_TRANSITION_USD +
    usage.lambdaInvocations * PRICE_PER_LAMBDA_REQUEST_USD +
    gbSeconds * PRICE_PER_LAMBDA_GB_SECOND_USD
  );
}
