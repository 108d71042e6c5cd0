import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

/**
 * A waiter's alarms, each at threshold 1 in one period (5 minutes): one failed wait, one timed-out wait or one
 * poller error is worth a look. Missing data is not breaching: no waits, no alarm.
 */
export interface WaiterAlarms {
  /** A wait failed: any `StepWait.*` error, timeouts included (the main machine's ExecutionsFailed). */
  readonly failed: cloudwatch.Alarm;
  /** A wait passed its deadline (the poller's `StepWait` `WaitsTimedOut`). */
  readonly timedOut: cloudwatch.Alarm;
  /** The poller threw (Lambda Errors): crashes, timeouts, malformed events. */
  readonly pollerErrors: cloudwatch.Alarm;
}

/** The metrics the alarms watch. */
export interface WaiterAlarmMetrics {
  readonly failed: cloudwatch.IMetric;
  readonly timedOut: cloudwatch.IMetric;
  readonly pollerErrors: cloudwatch.IMetric;
}

/** Creates the alarms in `scope`, each calling `actions` when it goes into ALARM. */
export function createWaiterAlarms(
  scope: Construct,
  metrics: WaiterAlarmMetrics,
  actions: readonly cloudwatch.IAlarmAction[],
): WaiterAlarms {
  const alarm = (id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm => {
    const created = new cloudwatch.Alarm(scope, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    created.addAlarmAction(...actions);
    return created;
  };
  return {
    failed: alarm('FailedAlarm', metrics.failed, 'A wait failed (StepWait.* error).'),
    timedOut: alarm('TimedOutAlarm', metrics.timedOut, 'A wait passed its deadline.'),
    pollerErrors: alarm('PollerErrorsAlarm', metrics.pollerErrors, 'The poller threw.'),
  };
}
