import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, WAITER_DIMENSION, WaitMetric } from '../lambdas/wait-metrics';

/**
 * The metrics the poller writes as Embedded Metric Format lines (lambdas/wait-metrics.ts), for dashboards and
 * alarms: namespace `StepWait`, dimension `Waiter` = the waiter's name. Step Functions' own metrics
 * (ExecutionsStarted, ...) come from the state machine (StateMachine.metric*).
 */

/** How each poller metric is summed up by default: counts summed, the latency and polls per wait averaged. */
const DEFAULT_STATISTIC: Readonly<Record<(typeof WaitMetric)[keyof typeof WaitMetric], string>> = {
  [WaitMetric.TimedOut]: cloudwatch.Stats.SUM,
  [WaitMetric.ThrottledStatusCalls]: cloudwatch.Stats.SUM,
  [WaitMetric.DetectionLatency]: cloudwatch.Stats.AVERAGE,
  [WaitMetric.PollsPerWait]: cloudwatch.Stats.AVERAGE,
};

/** One of the poller's metrics for the waiter named `waiterName`, over 5 minutes unless `props` say otherwise. */
export function pollerMetric(
  waiterName: string,
  metricName: (typeof WaitMetric)[keyof typeof WaitMetric],
  props?: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [WAITER_DIMENSION]: waiterName },
    statistic: DEFAULT_STATISTIC[metricName],
    period: Duration.minutes(5),
    ...props,
  });
}
