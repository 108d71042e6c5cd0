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
