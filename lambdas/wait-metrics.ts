import { type PollObservation, StepWaitError, type WaitState } from '../waiters';

/**
 * The poller's metrics, as CloudWatch Embedded Metric Format (EMF) log lines: CloudWatch Logs turns a line
 * into metrics, with no API call and no extra permission for the Lambda
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * Step Functions' own metrics (ExecutionsStarted, ExecutionsSucceeded, ExecutionsFailed) count executions;
 * these are what only the poller sees. Every one has the one dimension `Waiter` (the waiter's name).
 */

export const METRICS_NAMESPACE = 'StepWait';
export const WAITER_DIMENSION = 'Waiter';

/** The metric names, each with what one data point is. */
export const WaitMetric = {
  /** 1 per wait whose deadline passed (Step Functions counts a StepWait.Timeout Fail as ExecutionsFailed). */
  TimedOut: 'WaitsTimedOut',
  /**
   * Seconds from the moment the outcome was there to see (the last job's `stoppedAt` for a success, the first
   * failed job's for a failure) to the poll that noticed it, one per wait that ended on finished jobs.
   */
  DetectionLatency: 'DetectionLatency',
  /** 1 per status call (DescribeJobs, ListJobs) Batch refused with a throttle; the machine backs off. */
  ThrottledStatusCalls: 'StatusCallsThrottled',
  /** Polls a wait made, over all its executions (throttled and failed calls included), one per ended wait. */
  PollsPerWait: 'PollsPerWait',
} as const;

type MetricName = (typeof WaitMetric)[keyof typeof WaitMetric];
type Unit = 'Count' | 'Seconds';

/** Polls the wait has made so far, in every execution it ran in: each one a Lambda invocation and history. */
export function pollsOf(state: WaitState): number {
  const attempts = state.stages.reduce((sum, stage) => sum + stage.attempts, 0);
  return (
    attempts +
    state.throttledCalls +
    state.transientErrors +
    (state.submitFailures ?? 0) +
    (state.submitThrottles ?? 0)
  );
}

/**
 * When the outcome the wait ended on became visible in Batch: for a success, the moment the last job stopped;
 * for a failed job, the moment the first failed job stopped. Undefined for any other ending (a timeout, a
 * missing job, a refused request) and for jobs Batch gave no `stoppedAt`.
 */
export function outcomeVisibleAt(state: WaitState): number | undefined {
  if (state.state === 'success') {
    const stopped = state.jobs.map((job) => job.stoppedAt);
    if (stopped.length === 0 || stopped.some((at) => at === undefined)) return undefined;
    return Math.max(...(stopped as number[]));
  }
  if (state.state === 'failure' && state.error === StepWaitError.JobFailed) {
    const stopped = state.jobs
      .filter((job) => job.status === 'FAILED' && job.stoppedAt !== undefined)
      .map((job) => job.stoppedAt as number);
    return stopped.length === 0 ? undefined : Math.min(...stopped);
  }
  return undefined;
}

/**
 * The EMF line of one poll, or undefined when it has nothing to count: a throttled status call, and at the
 * end of a wait its polls, its detection latency and whether it timed out. `nowMs` is the poll's clock
 * reading after its status call.
 */
export function pollMetricsLine(
  waiterName: string,
  observation: PollObservation,
  result: WaitState,
  nowMs: number,
): Record<string, unknown> | undefined {
  const values: [MetricName, Unit, number][] = [];
  if (observation.kind === 'throttled') values.push([WaitMetric.ThrottledStatusCalls, 'Count', 1]);
  const ended = result.state === 'success' || result.state === 'failure' || result.state === 'timeout';
  if (ended) {
    if (result.state === 'timeout') values.push([WaitMetric.TimedOut, 'Count', 1]);
    const visibleAt = outcomeVisibleAt(result);
    // Batch's clock and the Lambda's may differ by a little: a latency is never negative.
    if (visibleAt !== undefined)
      values.push([WaitMetric.DetectionLatency, 'Seconds', Math.max(0, (nowMs - visibleAt) / 1000)]);
    values.push([WaitMetric.PollsPerWait, 'Count', pollsOf(result)]);
  }
  if (values.length === 0) return undefined;
  return {
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [[WAITER_DIMENSION]],
          Metrics: values.map(([name, unit]) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    [WAITER_DIMENSION]: waiterName,
    ...Object.fromEntries(values.map(([name, , value]) => [name, value])),
  };
}
