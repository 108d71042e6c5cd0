import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { HAND_OVER_CONTRACT } from '../lambdas/hand-over';
import { StepWaitError } from '../waiters';

/**
 * StartExecution errors worth trying again, each with why. A refused StartExecution started nothing, and a
 * retried call names the same execution with the same input, so one that did start a segment before its
 * answer was lost is attached to, not started twice. Not retried: `States.TaskFailed` (the segment ran and
 * ended without a result: running it again would not mend that), a missing machine, denied access.
 */
export const HAND_OVER_RETRY_REASONS: Readonly<Record<string, string>> = {
  'StepFunctions.ExecutionLimitExceeded':
    'Too many open executions in the account: AWS "Start workflow executions from a task state" says to retry it.',
  'StepFunctions.AWSStepFunctionsException':
    'An error Step Functions does not model for StartExecution, throttling (ThrottlingException) and 5xx among them.',
  'StepFunctions.SdkClientException':
    'The call did not complete on the client side (a lost connection, a timeout).',
};

export const HAND_OVER_RETRY_ERRORS = Object.keys(HAND_OVER_RETRY_REASONS);

/** The states a failed hand-over goes through: a described failure, raised by the fragment's `Failed`. */
interface HandOverTargets {
  /** The fragment's output state, for a segment that ended with the wait's output. */
  readonly done: sfn.State;
  /** The fragment's Fail state raising `$.error` with `$.cause`. */
  readonly failed: sfn.State;
}

/**
 * Waits the poller's delay, then starts the segment machine with the state (startExecution.sync:2, named
 * `$.segmentExecutionName`) and goes on as the segment ended (hand-over contract HAND_OVER_CONTRACT):
 * with `continued: true` it hands over again; with `{ error, cause }` it raises that error; otherwise the
 * output is the wait's. Anything caught (the segment could not start, or ended TIMED_OUT, ABORTED or
 * FAILED at run time) becomes a named StepWait error whose JSON cause says which, without parsing the
 * caught Cause: it may be plain text, or DescribeExecution JSON cut at 32,768 characters.
 */
export function handOverStates(
  scope: Construct,
  segment: sfn.IStateMachine,
  targets: HandOverTargets,
): sfn.Wait {
  const pause = new sfn.Wait(scope, 'Hand Over Wait', { time: sfn.WaitTime.secondsPath('$.delaySeconds') });
  const handOver = new tasks.StepFunctionsStartExecution(scope, 'Hand Over', {
    comment: 'Continue the wait in a fresh execution, clear of the 25,000-event history limit.',
    stateMachine: segment,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    associateWithParent: true,
    name: sfn.JsonPath.stringAt('$.segmentExecutionName'),
    input: sfn.TaskInput.fromObject({
      handOver: sfn.JsonPath.entirePayload,
      handOverVersion: HAND_OVER_CONTRACT,
    }),
    outputPath: '$.Output',
  });
  handOver.addRetry({
    errors: HAND_OVER_RETRY_ERRORS,
    interval: Duration.seconds(5),
    maxAttempts: 10,
    backoffRate: 2,
    maxDelay: Duration.minutes(5),
    jitterStrategy: sfn.JitterType.FULL,
  });
  handOver.addCatch(whyHandOverFailed(scope, targets.failed), {
    errors: ['States.ALL'],
    resultPath: '$.handOverError',
  });
  pause.next(handOver).next(
    new sfn.Choice(scope, 'Segment Ended How?')
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.continued'),
          sfn.Condition.booleanEquals('$.continued', true),
        ),
        pause,
      )
      .when(sfn.Condition.isPresent('$.error'), targets.failed)
      .otherwise(targets.done),
  );
  return pause;
}

/**
 * `States.TaskFailed` from startExecution.sync:2 means the segment ran and ended without SUCCEEDED; its
 * Cause is the segment's DescribeExecution JSON (which holds the whole handed-over state, so it may be cut
 * at 32,768 characters). Its status is matched in the text (StringMatches, no parsing), so a cut cause is
 * still told apart. Any other error means the segment was never started (e.g.
 * StepFunctions.StateMachineDoesNotExist, access denied), with a short plain-text Cause that is kept.
 */
function whyHandOverFailed(scope: Construct, failed: sfn.State): sfn.Choice {
  const raise = new sfn.Pass(scope, 'Raise Hand-Over Failure', {
    parameters: {
      'error.$': '$.handOverFailure.error',
      'cause.$': 'States.JsonToString($.handOverFailure)',
    },
  });
  raise.next(failed);
  const describe = (id: string, error: string, reason: string, extra: Record<string, string> = {}) =>
    new sfn.Pass(scope, id, {
      parameters: {
        error,
        reason,
        'caughtError.$': '$.handOverError.Error',
        'segmentExecution.$': '$.segmentExecutionName',
        ...extra,
      },
      resultPath: '$.handOverFailure',
    }).next(raise);
  // A Choice on a path that is not there fails the execution (States.Runtime): test presence first.
  const hasCause = sfn.Condition.isPresent('$.handOverError.Cause');
  const segmentEnded = (status: string) =>
    sfn.Condition.and(
      sfn.Condition.stringEquals('$.handOverError.Error', 'States.TaskFailed'),
      hasCause,
      sfn.Condition.stringMatches('$.handOverError.Cause', `*"Status":"${status}"*`),
    );
  return new sfn.Choice(scope, 'Why Did The Hand-Over Fail?')
    .when(
      segmentEnded('TIMED_OUT'),
      describe(
        'Segment Timed Out',
        StepWaitError.SegmentFailed,
        "The segment execution ran past its state machine's TimeoutSeconds (the backstop above the deadline).",
      ),
    )
    .when(
      segmentEnded('ABORTED'),
      describe(
        'Segment Stopped',
        StepWaitError.SegmentFailed,
        'The segment execution was stopped (StopExecution) before the wait ended.',
      ),
    )
    .when(
      sfn.Condition.stringEquals('$.handOverError.Error', 'States.TaskFailed'),
      describe(
        'Segment Failed At Run Time',
        StepWaitError.SegmentFailed,
        'The segment execution ended without a result (failed at run time, stopped or timed out): see its execution history.',
      ),
    )
    .when(
      hasCause,
      describe(
        'Segment Not Started',
        StepWaitError.HandOverFailed,
        'The segment execution could not be started.',
        {
          'message.$': '$.handOverError.Cause',
        },
      ),
    )
    .otherwise(
      describe(
        'Segment Not Started (No Cause)',
        StepWaitError.HandOverFailed,
        'The segment execution could not be started.',
      ),
    );
}
