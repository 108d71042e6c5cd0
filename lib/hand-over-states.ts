import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { HAND_OVER_CONTRACT, StepWaitError, statePath } from '../waiters';

/**
 * StartExecution errors worth trying again, each with why. A refused StartExecution started nothing, and a
 * retried call names the same execution with the same input, so one that did start a segment before its
 * answer was lost is attached to, not started twice. Not retried: `States.TaskFailed` (the segment ran and
 * ended without a result: running it again would not mend that), a missing machine, a name already taken.
 * Access denial is not modelled for StartExecution, so it arrives as `AWSStepFunctionsException` and is
 * retried with the throttles it cannot be told from by name; it ends the wait after the retries.
 */
export const HAND_OVER_RETRY_REASONS: Readonly<Record<string, string>> = {
  'StepFunctions.ExecutionLimitExceeded':
    'Too many open executions in the account: AWS "Start workflow executions from a task state" says to retry it.',
  'StepFunctions.ExecutionLimitExceededException':
    'The same refusal under the SDK exception class name, as some accounts report it.',
  'StepFunctions.AWSStepFunctionsException':
    'An error Step Functions does not model for StartExecution, throttling (ThrottlingException) and 5xx among them.',
  'StepFunctions.SdkClientException':
    'The call did not complete on the client side (a lost connection, a timeout).',
};

export const HAND_OVER_RETRY_ERRORS = Object.keys(HAND_OVER_RETRY_REASONS);

/** The `reason` of a failed hand-over's cause, by what DescribeExecution (or the caught error) said. */
export const HAND_OVER_FAILURE_REASONS = {
  timedOut:
    "The segment execution ran past its state machine's TimeoutSeconds (the backstop above the deadline).",
  stopped: 'The segment execution was stopped (StopExecution) before the wait ended.',
  failedAtRunTime:
    'The segment execution failed at run time (e.g. States.Runtime, the poller failing past its retries): see its execution history.',
  endedWithoutResult:
    'The segment execution ended without a result, and DescribeExecution did not say how: see its execution history.',
  notStarted: 'The segment execution could not be started.',
} as const;

/** The states a failed hand-over goes through: a described failure, raised by the fragment's `Failed`. */
interface HandOverTargets {
  /** The fragment's output state, for a segment that ended with the wait's output. */
  readonly done: sfn.State;
  /**
   * Event mode: where a segment's output without `callbackUrl` ends (a segment machine redeployed in poll mode
   * while the wait ran); `done` reads it.
   */
  readonly doneWithoutUrl?: sfn.State;
  /** The fragment's Fail state raising `$.error` with `$.cause`. */
  readonly failed: sfn.State;
}

/** `arn:<partition>:states:<region>:<account>:execution:<segment machine name>`, from the machine's ARN token. */
function executionArnPrefix(scope: Construct, segment: sfn.IStateMachine): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: Arn.split(segment.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * Waits the poller's delay, then starts the segment machine with the state (startExecution.sync:2, named
 * `$.segmentExecutionName`) and goes on as the segment ended (hand-over contract HAND_OVER_CONTRACT):
 * with `continued: true` it hands over again; with `{ error, cause }` it raises that error; otherwise the
 * output is the wait's. Anything caught becomes a named StepWait error whose JSON cause says what happened,
 * without parsing the caught Cause (plain text, or the segment's DescribeExecution JSON cut at 32,768
 * characters): the segment's status is asked of DescribeExecution instead.
 */
export function handOverStates(
  scope: Construct,
  segment: sfn.IStateMachine,
  targets: HandOverTargets,
): sfn.Wait {
  const pause = new sfn.Wait(scope, 'Hand Over Wait', {
    time: sfn.WaitTime.secondsPath(statePath('delaySeconds')),
  });
  const handOver = new tasks.StepFunctionsStartExecution(scope, 'Hand Over', {
    comment: 'Continue the wait in a fresh execution, clear of the 25,000-event history limit.',
    stateMachine: segment,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    associateWithParent: true,
    name: sfn.JsonPath.stringAt(statePath('segmentExecutionName')),
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
  // A relay is for machines of contract 1; should a segment send one anyway, its failure is raised all the same.
  const raiseRelayed = new sfn.Pass(scope, 'Raise Relayed Failure', {
    parameters: { 'error.$': '$.relay.error', 'cause.$': '$.relay.cause' },
  });
  raiseRelayed.next(targets.failed);
  const ended = new sfn.Choice(scope, 'Segment Ended How?')
    .when(sfn.Condition.isPresent('$.relay'), raiseRelayed)
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent(statePath('continued')),
        sfn.Condition.booleanEquals(statePath('continued'), true),
      ),
      pause,
    )
    .when(sfn.Condition.isPresent(statePath('error')), targets.failed);
  if (targets.doneWithoutUrl === undefined) ended.otherwise(targets.done);
  else {
    ended
      .when(sfn.Condition.isPresent(statePath('callbackUrl')), targets.done)
      .otherwise(targets.doneWithoutUrl);
  }
  handOver.addCatch(whyHandOverFailed(scope, segment, ended, targets.failed), {
    errors: ['States.ALL'],
    resultPath: '$.handOverError',
  });
  pause.next(handOver).next(ended);
  return pause;
}

/**
 * `States.TaskFailed` from startExecution.sync:2 means the segment ran and ended without SUCCEEDED; a
 * `StepFunctions.ExecutionAlreadyExists` after a retried start means the segment the lost call started has
 * already ended. Either way DescribeExecution on the segment (its ARN follows from its name) says how: its
 * output, when it succeeded, goes on as if the start had answered; otherwise its status names the failure.
 * Any other error means the segment was never started (a missing machine, denied access), with a short
 * plain-text Cause that is kept.
 */
function whyHandOverFailed(
  scope: Construct,
  segment: sfn.IStateMachine,
  ended: sfn.Choice,
  failed: sfn.State,
): sfn.Choice {
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
        'segmentExecution.$': statePath('segmentExecutionName'),
        ...extra,
      },
      resultPath: '$.handOverFailure',
    }).next(raise);
  const endedWithoutResult = describe(
    'Segment Ended Without Result',
    StepWaitError.SegmentFailed,
    HAND_OVER_FAILURE_REASONS.endedWithoutResult,
  );

  const describeSegment = new tasks.CallAwsService(scope, 'Describe Segment', {
    comment:
      "The segment's status and output, which the caught Cause may have lost to the 32,768-character cut.",
    service: 'sfn',
    action: 'describeExecution',
    parameters: {
      ExecutionArn: sfn.JsonPath.format(
        '{}:{}',
        executionArnPrefix(scope, segment),
        sfn.JsonPath.stringAt(statePath('segmentExecutionName')),
      ),
    },
    // The same executions startExecution.sync may already describe: the segment machine's, and no others.
    iamResources: [`${executionArnPrefix(scope, segment)}*`],
    iamAction: 'states:DescribeExecution',
    resultPath: '$.segmentDescription',
  });
  describeSegment.addRetry({
    errors: ['States.ALL'],
    interval: Duration.seconds(2),
    maxAttempts: 4,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  describeSegment.addCatch(endedWithoutResult, { errors: ['States.ALL'], resultPath: '$.describeError' });

  // A Choice on a path that is not there fails the execution (States.Runtime): test presence first.
  const status = (value: string) =>
    sfn.Condition.and(
      sfn.Condition.isPresent('$.segmentDescription.Status'),
      sfn.Condition.stringEquals('$.segmentDescription.Status', value),
    );
  const takeOutput = new sfn.Pass(scope, 'Take Segment Output', {
    comment:
      "The segment ended before the retried start reached it: its output is the wait's, as if the start had answered.",
    parameters: { 'output.$': 'States.StringToJson($.segmentDescription.Output)' },
    outputPath: '$.output',
  });
  takeOutput.next(ended);
  describeSegment.next(
    new sfn.Choice(scope, 'Segment Status?')
      .when(
        sfn.Condition.and(status('SUCCEEDED'), sfn.Condition.isPresent('$.segmentDescription.Output')),
        takeOutput,
      )
      .when(
        status('TIMED_OUT'),
        describe('Segment Timed Out', StepWaitError.SegmentFailed, HAND_OVER_FAILURE_REASONS.timedOut),
      )
      .when(
        status('ABORTED'),
        describe('Segment Stopped', StepWaitError.SegmentFailed, HAND_OVER_FAILURE_REASONS.stopped),
      )
      .when(
        status('FAILED'),
        describe(
          'Segment Failed At Run Time',
          StepWaitError.SegmentFailed,
          HAND_OVER_FAILURE_REASONS.failedAtRunTime,
        ),
      )
      .otherwise(endedWithoutResult),
  );

  const hasCause = sfn.Condition.isPresent('$.handOverError.Cause');
  return new sfn.Choice(scope, 'Why Did The Hand-Over Fail?')
    .when(
      sfn.Condition.or(
        sfn.Condition.stringEquals('$.handOverError.Error', 'States.TaskFailed'),
        sfn.Condition.stringMatches('$.handOverError.Error', 'StepFunctions.ExecutionAlreadyExists*'),
      ),
      describeSegment,
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
        HAND_OVER_FAILURE_REASONS.notStarted,
      ),
    );
}
