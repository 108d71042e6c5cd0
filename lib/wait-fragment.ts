import { Duration, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { PollerConfig } from '../lambdas/poller-config';
import {
  decideStateName,
  firstPollStateName,
  HAND_OVER_CONTRACT,
  handOverPath,
  POLL_EVENT_SCHEMA_VERSION,
  type PollState,
  parkStateName,
  pollStateName,
  StepWaitError,
  statePath,
  WAIT_OUTPUT_FIELDS,
  waitStateName,
} from '../waiters';
import { acknowledgeWildcard, executionsArn, functionVersionsArn } from './acknowledgements';
import { handOverStates } from './hand-over-states';
import { BATCH_JOBS } from './job-system';
import { type PollerFunction, stepwaitPoller } from './poller-function';
import { type GrantedFinding, submitStates } from './submit-states';
import { StepWaitValidationError } from './validation-error';
import { defaultPollBudget, pollerConfigFor, type WaitOptions } from './wait-options';
import { WakeUps } from './wake-up/wake-ups';

export {
  DEFAULT_DELAYS,
  DEFAULT_POLL_BUDGET,
  Delay,
  MAX_MAX_TIMEOUT,
  type SubmitOptions,
  type WaitOptions,
} from './wait-options';

import {
  acknowledgeWaitMachine,
  configDifferences,
  registerSegmentMachine,
  segmentConfigOf,
  waitMachineProps,
} from './segment-machine';

export interface JobWaitFragmentProps extends WaitOptions {
  /** The poller Lambda (see PollerFunction). One poller can serve many fragments. */
  readonly poller: lambda.IFunction;
  /**
   * A prefix for every state name, so two waiters can live in one machine (e.g. `'Nightly: '`).
   * @default '' (no prefix)
   */
  readonly statePrefix?: string;
  /**
   * Where in the state the wait request is (`{ jobId } | { jobIds } | { jobName, jobQueue }` plus options).
   * @default '$'
   */
  readonly inputPath?: string;
  /**
   * Continue a wait that has spent `pollBudget` polls in a fresh execution of this segment machine, started
   * with startExecution.sync:2, so waits of any length stay clear of the 25,000-event history limit. The
   * deadline, seen jobs and attempts travel in the handed-over state; the options do not (a segment runs
   * the wait with its own definition's), so it must be a segment machine stepwait built with the same
   * options as this fragment: JobWaiter's `segmentStateMachine` for a fragment with the JobWaiter's options,
   * or another fragment's `segmentStateMachine` (see `ownSegmentMachine`). Anything else is refused at synth.
   * @default - no hand-over: the host's history must hold the whole wait (~9 events a poll)
   */
  readonly continueIn?: sfn.IStateMachine;
  /**
   * Create a segment machine for this wait, with this fragment's own options (`segmentStateMachine`), and
   * continue long waits in it, as `continueIn` does. Its executions log at ERROR without data, 30 days.
   * @default false
   */
  readonly ownSegmentMachine?: boolean;
  /**
   * This fragment is a segment machine: a spent budget ends the execution with the state to continue from
   * (`continued: true`), for the machine that started it to hand over again. JobWaiter sets it.
   * @default false
   */
  readonly endsSegment?: boolean;
  /**
   * A registry records this wait (JobWaiter sets it with `registry`): the poller writes its progress there.
   * @default false
   */
  readonly recordedInRegistry?: boolean;
}

/**
 * The errors a `lambda:invoke` of the poller can really end in that are worth retrying with backoff, each
 * with why (AWS "Handle transient Lambda service exceptions" and the Lambda Invoke API's errors). The poller
 * task has no TimeoutSeconds, so `States.Timeout` cannot occur there; the function's own 30 s timeout is
 * reported as `Sandbox.Timedout`.
 */
export const POLLER_RETRY_REASONS: Readonly<Record<string, string>> = {
  'Lambda.ServiceException': "Lambda's own 500: the invocation may not have run.",
  'Lambda.AWSLambdaException': 'An error of the Lambda service the SDK does not model.',
  'Lambda.SdkClientException': 'The Invoke call did not complete on the client side.',
  'Lambda.TooManyRequestsException': 'Throttled: concurrency or the Invoke rate is exhausted for now.',
  'Lambda.ClientExecutionTimeoutException': 'The Invoke call took too long on the client side.',
  'Lambda.Unknown': 'The function crashed without an error object (e.g. out of memory, a killed runtime).',
  'Sandbox.Timedout':
    'The poller ran past its 30 s timeout (a hung status call; the SDK client gives up at 10 s).',
};

/** The names of POLLER_RETRY_REASONS: the first Retry of every Poll task. */
export const POLLER_RETRY_ERRORS = Object.keys(POLLER_RETRY_REASONS);

/** State names may have at most 80 characters (CreateStateMachine refuses longer ones). */
export const MAX_STATE_NAME_LENGTH = 80;

/** The Choice condition on what the poller said (the contract's `state`). */
const stateIs = (value: PollState) => sfn.Condition.stringEquals(statePath('state'), value);

/**
 * The wait as a chainable piece of a state machine. It starts at `<First stage> First Poll`, which reads the
 * request; then per stage `<Stage> Poll` (Lambda) -> `<Stage> Decide` (Choice) -> `<Stage> Wait`
 * (SecondsPath = the poller's delay, or in event mode `<Stage> Park`) -> Poll. It ends in the Pass `Done`,
 * which holds the output `{ status, timedOut, jobs, stages, waitedSeconds }`, so it chains into other
 * machines; failures are Fail states raising `StepWait.*` with a JSON Cause (wrap the fragment in a Parallel
 * with a Catch where a host must survive them). JSONPath only: the local engine runs no JSONata.
 */
export class JobWaitFragment extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];
  /** The config every poll event carries. */
  readonly pollerConfig: PollerConfig;

  /** The segment machine this fragment created (`ownSegmentMachine`). */
  readonly segmentStateMachine?: sfn.StateMachine;

  /** With `wakeUp: 'events'`: the stack's park table, queue and waker this wait parks with. */
  readonly wakeUps?: WakeUps;
  private readonly parkingPoller?: PollerFunction;

  constructor(scope: Construct, id: string, props: JobWaitFragmentProps) {
    super(scope, id);
    if (props.continueIn !== undefined && props.ownSegmentMachine) {
      throw new StepWaitValidationError(this, 'continueIn', 'give continueIn or ownSegmentMachine, not both');
    }
    const handsOver =
      props.continueIn !== undefined || props.ownSegmentMachine === true || props.endsSegment === true;
    this.pollerConfig = pollerConfigFor(
      this,
      { ...props, pollBudget: handsOver ? (props.pollBudget ?? defaultPollBudget(props)) : undefined },
      this.node.path,
    );
    if (props.endsSegment) this.pollerConfig.acceptsHandOver = true;
    if (props.recordedInRegistry) this.pollerConfig.recordedInRegistry = true;
    (props.jobSystem ?? BATCH_JOBS).bindPoller(this, props.poller);
    if (props.ownSegmentMachine) this.segmentStateMachine = this.createSegmentMachine(props);
    const segment = props.continueIn ?? this.segmentStateMachine;
    if (segment !== undefined) this.checkSegmentMachine(segment);
    this.noteGrantedFindings(props.poller, segment);
    const { stages } = this.pollerConfig;
    const configJson = JSON.stringify(this.pollerConfig);

    // A waiter switched back to polling that keeps its `wakeUps` drains: its new waits poll, and the waits
    // parked before the deploy (running the old definition) are still woken, swept and cleaned up after.
    if (this.pollerConfig.wakeUp === 'events' || props.wakeUps !== undefined) {
      this.parkingPoller = stepwaitPoller(
        this,
        props.poller,
        "wakeUp: 'events' gives its poller the park table",
      );
      this.wakeUps = props.wakeUps ?? WakeUps.of(this);
      this.wakeUps.bindPoller(this.parkingPoller);
      // Every queue: a waiter that submits still takes job ids in any queue, and the waker ignores jobs
      // nobody parked on.
      this.wakeUps.wakeOn(this.pollerConfig);
      // Without grantTo nothing may send the host's task tokens back: every park would last its backstop.
      this.node.addValidation({
        validate: () =>
          this.granted
            ? []
            : [
                "wakeUp: the host state machine was never given the fragment's permissions: call fragment.grantTo(hostStateMachine) (the waker, the sweeper and the poller need states:SendTaskSuccess on it)",
              ],
      });
    }
    const inputPath = props.inputPath ?? '$';
    // A segment resumes at any stage, so it first puts its request into the state for `Resume At Stage`.
    const start = props.endsSegment
      ? new sfn.Pass(this, 'Start', {
          comment: 'Keeps only the wait request; the first poll validates it and stamps the deadline.',
          // Reading the request from the context object ($$.Execution.Input) needs no state input at all, so
          // even a null input reaches the poller, which refuses it by name.
          ...(inputPath.startsWith('$$.') ? { inputPath: sfn.JsonPath.DISCARD } : {}),
          parameters: { 'request.$': inputPath },
        })
      : undefined;
    const outputFields = Object.fromEntries(
      WAIT_OUTPUT_FIELDS.map((field) => [`${field}.$`, statePath(field)]),
    );
    // Event mode's output has the callback URL: every event-mode poll writes it (null without callbacks). A
    // state handed back by a segment machine may lack it (one redeployed in poll mode since a wait started),
    // and a Pass reading a missing path fails the execution (States.Runtime): the segment's return is
    // checked for it on the way (hand-over-states.ts), with no transition of its own.
    const events = this.pollerConfig.wakeUp === 'events';
    const done = new sfn.Pass(this, 'Done', {
      comment: 'The output of the wait.',
      parameters: events ? { ...outputFields, 'callbackUrl.$': statePath('callbackUrl') } : outputFields,
    });
    const doneWithoutUrl =
      events && segment !== undefined
        ? new sfn.Pass(this, 'Done Without Callback URL', {
            comment: 'The output of a wait a segment machine without callback URLs ended.',
            parameters: outputFields,
          })
        : undefined;
    const failed = new sfn.Fail(this, 'Failed', {
      comment:
        'StepWait.JobFailed, JobNotFound, JobForgotten, InvalidInput, MaxAttemptsExceeded, AmbiguousBusinessKey, UnknownStatus, PollFailed, SubmitFailed, HandOverFailed, SegmentFailed',
      errorPath: statePath('error'),
      causePath: statePath('cause'),
    });
    // How a segment whose wait failed ends depends on the machine that started it. Contract 2: normally, with
    // { error, cause } for that machine to raise (a Cause is never parsed). Contract 1 (stepwait 0.1.0, no
    // handOverVersion): that machine parses the failed segment's Cause, which holds the whole handed-over
    // state and is cut at 32,768 characters; so the failure is relayed through one more, small segment
    // (`continued: true` with only `relay`), which fails with it (`relayed`) where the cut cannot reach.
    const endWithError = props.endsSegment
      ? new sfn.Pass(this, 'End Segment With Error', {
          comment: 'The wait failed: end with { error, cause } for the starting machine to raise.',
          parameters: { 'error.$': statePath('error'), 'cause.$': statePath('cause') },
        })
      : undefined;
    const relayFailure = props.endsSegment
      ? new sfn.Pass(this, 'Relay Failure', {
          comment:
            'A contract-1 machine started this segment: hand the failure to a small segment that fails with it.',
          parameters: {
            continued: true,
            delaySeconds: 0,
            relay: { 'error.$': statePath('error'), 'cause.$': statePath('cause') },
          },
        })
      : undefined;
    const fail =
      endWithError && relayFailure
        ? new sfn.Choice(this, 'Report Failure How?')
            .when(
              sfn.Condition.or(
                // A wait's state carries it; a failure at the segment's first poll has only the request.
                ...[statePath('handOverVersion'), '$.request.handOverVersion'].map((path) =>
                  sfn.Condition.and(
                    sfn.Condition.isPresent(path),
                    sfn.Condition.numberGreaterThanEquals(path, HAND_OVER_CONTRACT),
                  ),
                ),
              ),
              endWithError,
            )
            // A relaying segment fails, whatever failed in it: it never relays again.
            .when(
              sfn.Condition.or(
                sfn.Condition.isPresent('$.relayed'),
                sfn.Condition.isPresent('$.request.handOver.relay'),
              ),
              failed,
            )
            .otherwise(relayFailure)
        : failed;
    const timedOut = endWithError
      ? fail
      : new sfn.Fail(this, 'Timed Out', { error: StepWaitError.Timeout, causePath: statePath('cause') });
    const failOnTimeout = new sfn.Choice(this, 'Fail On Timeout?')
      .when(sfn.Condition.booleanEquals(statePath('failOnTimeout'), true), timedOut)
      .otherwise(done);
    // Batch jobs are terminated by the machine; other systems' jobs by the poller (it has their API).
    const onTimeout =
      props.cancelJobOnTimeout && (props.jobSystem ?? BATCH_JOBS).cancelsInMachine
        ? this.terminateJobs(failOnTimeout).next(failOnTimeout)
        : failOnTimeout;
    const submit = props.submit ? submitStates(this, props.submit) : undefined;
    if (submit) {
      this.policyStatements.push(submit.statement);
      this.findings.push(submit.finding);
    }
    const submitJob = submit?.task;
    if (submit) {
      // A CustomState brings no permissions of its own: without grantTo the host's role cannot submit, and
      // the first run would fail at its Submit Job task. Checked when the app synthesizes.
      this.node.addValidation({
        validate: () =>
          this.granted
            ? []
            : [
                "submit: the host state machine was never given the fragment's permissions: call fragment.grantTo(hostStateMachine) (its role needs batch:SubmitJob on the job definition and queue)",
              ],
      });
    }
    const continuation = segment
      ? handOverStates(this, segment, { done, doneWithoutUrl, failed })
      : props.endsSegment
        ? new sfn.Pass(this, 'Continue In Next Segment', {
            comment: 'Poll budget spent: end with the state to continue from (continued: true).',
          })
        : undefined;

    const pollerFailed = this.pollerFailure(fail);
    const pollTask = (name: string, state: Record<string, unknown>) =>
      new tasks.LambdaInvoke(this, name, {
        lambdaFunction: props.poller,
        payload: sfn.TaskInput.fromObject({
          schemaVersion: POLL_EVENT_SCHEMA_VERSION,
          config: configJson,
          ...state,
          // The registry records every execution of a wait (a segment's too), so a cancel stops them all.
          execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
        }),
        // The poller returns the whole next state; keep it, drop the lambda:invoke envelope.
        outputPath: '$.Payload',
        retryOnServiceExceptions: false,
      });
    const polls = stages.map((stage) => pollTask(pollStateName(stage), { 'state.$': '$' }));
    // The first poll builds its state from the request itself, so a null or non-object input still reaches
    // the poller (which refuses it by name) and no Pass is entered first. Its Catch keeps only the error: a
    // ResultPath into a non-object input would itself fail (States.Runtime).
    const firstPoll =
      start === undefined
        ? pollTask(firstPollStateName(stages[0] as string), { state: { 'request.$': inputPath } })
        : undefined;
    const waits = stages.map(
      (stage) =>
        new sfn.Wait(this, waitStateName(stage), {
          time: sfn.WaitTime.secondsPath(statePath('delaySeconds')),
        }),
    );
    const parks =
      this.pollerConfig.wakeUp === 'events'
        ? stages.map((stage, index) =>
            this.parkState(
              stage,
              props.poller,
              configJson,
              polls[index] as tasks.LambdaInvoke,
              waits[index] as sfn.Wait,
            ),
          )
        : undefined;
    for (const poll of firstPoll ? [...polls, firstPoll] : polls) {
      // A refused request is final; everything else the poller raises is retried: it is idempotent (state
      // in, state out), and Lambda reports crashes under several names (Lambda.Unknown, Runtime.ExitError,
      // Runtime.OutOfMemory, Sandbox.Timedout).
      poll.addRetry({ errors: ['StepWait.InvalidInput'], maxAttempts: 0 });
      poll.addRetry({
        errors: POLLER_RETRY_ERRORS,
        interval: Duration.seconds(2),
        maxAttempts: 6,
        backoffRate: 2,
        maxDelay: Duration.seconds(60),
        jitterStrategy: sfn.JitterType.FULL,
      });
      poll.addRetry({
        errors: ['States.ALL'],
        interval: Duration.seconds(2),
        maxAttempts: 3,
        backoffRate: 2,
        jitterStrategy: sfn.JitterType.FULL,
      });
    }
    polls.forEach((poll, index) => {
      poll.addCatch(pollerFailed, { errors: ['States.ALL'], resultPath: '$.pollError' });
      const decide = new sfn.Choice(this, decideStateName(stages[index] as string))
        .when(stateIs('success'), done)
        .when(stateIs('timeout'), onTimeout);
      if (index === 0 && submitJob !== undefined) {
        decide.when(stateIs('submit'), submitJob);
      }
      // A poll may settle several stages at once, so each Decide can jump to any later stage's Wait (or Park).
      for (let next = index; next < stages.length; next++) {
        if (parks !== undefined) {
          decide.when(
            sfn.Condition.and(
              stateIs('retry'),
              sfn.Condition.numberEquals(statePath('stageIndex'), next),
              sfn.Condition.isPresent(statePath('parkSeconds')),
            ),
            parks[next] as tasks.LambdaInvoke,
          );
        }
        decide.when(
          sfn.Condition.and(stateIs('retry'), sfn.Condition.numberEquals(statePath('stageIndex'), next)),
          waits[next] as sfn.Wait,
        );
      }
      if (continuation !== undefined) decide.when(stateIs('continue'), continuation);
      decide.otherwise(fail);
      poll.next(decide);
      if (index === 0 && firstPoll !== undefined) {
        firstPoll.addCatch(
          new sfn.Pass(this, 'First Poll Failed', { parameters: { 'pollError.$': '$' } }).next(pollerFailed),
          { errors: ['States.ALL'], resultPath: '$' },
        );
        firstPoll.next(decide);
      }
      (waits[index] as sfn.Wait).next(poll);
    });
    if (start !== undefined && polls.length > 1) {
      // A segment resumes at the stage the wait had reached, so each poll runs under its own stage's name.
      const resume = new sfn.Choice(this, 'Resume At Stage');
      polls.forEach((poll, index) => {
        if (index === 0) return;
        resume.when(
          sfn.Condition.and(
            sfn.Condition.isPresent(handOverPath('stageIndex')),
            sfn.Condition.numberEquals(handOverPath('stageIndex'), index),
          ),
          poll,
        );
      });
      start.next(resume.otherwise(polls[0] as tasks.LambdaInvoke));
    } else {
      start?.next(polls[0] as tasks.LambdaInvoke);
    }
    if (submitJob !== undefined) {
      submitJob.next(polls[0] as tasks.LambdaInvoke);
      // Any failure goes back to the poller with what was caught: it ends the wait on a refusal, and otherwise
      // looks the business key up again (after ListJobs has had time to list a job the call did create)
      // before any second SubmitJob.
      submitJob.addCatch(polls[0] as tasks.LambdaInvoke, {
        errors: ['States.ALL'],
        resultPath: statePath('submitError'),
      });
    }

    this.startState = start ?? (firstPoll as tasks.LambdaInvoke);
    this.endStates = [
      done,
      ...(doneWithoutUrl ? [doneWithoutUrl] : []),
      ...(continuation instanceof sfn.Pass ? [continuation] : []),
      ...(endWithError ? [endWithError] : []),
      ...(relayFailure ? [relayFailure] : []),
    ];
    if (props.statePrefix) this.prefixStates(props.statePrefix);
    this.checkStateNames(props.statePrefix ?? '');
  }

  /**
   * Event mode: `<Stage> Park` invokes the poller with the task token (`.waitForTaskToken`) and waits for a
   * wake-up, at most `parkSeconds` (the poller's backstop or the deadline, whichever is first); then the
   * stage polls. A park that cannot register (the table throttled past the retries, the poller failing)
   * falls back to the stage's Wait: the wait goes on, polling.
   */
  private parkState(
    stage: string,
    poller: lambda.IFunction,
    configJson: string,
    poll: tasks.LambdaInvoke,
    wait: sfn.Wait,
  ): tasks.LambdaInvoke {
    const park = new tasks.LambdaInvoke(this, parkStateName(stage), {
      lambdaFunction: poller,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        schemaVersion: POLL_EVENT_SCHEMA_VERSION,
        config: configJson,
        'state.$': '$',
        park: { taskToken: sfn.JsonPath.taskToken },
      }),
      taskTimeout: sfn.Timeout.at(statePath('parkSeconds')),
      // A wake-up's output is only a note: the state stays what the poll made it.
      resultPath: sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: false,
    });
    park.addRetry({
      errors: POLLER_RETRY_ERRORS,
      interval: Duration.seconds(2),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
    park.addCatch(poll, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    park.addCatch(wait, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
    park.next(poll);
    return park;
  }

  /**
   * A poller that still fails after its retries (throttled past them, crashing, refusing its event) ends the
   * wait with StepWait.PollerFailed, naming the caught error (its message, with a stack trace, stays in the
   * poller's log). The failure joins the rest of the state, so a segment still knows how to report it.
   */
  private pollerFailure(fail: sfn.State): sfn.Pass {
    const describe = new sfn.Pass(this, 'Poller Failed', {
      parameters: {
        error: StepWaitError.PollerFailed,
        reason: 'The poller Lambda kept failing past its retries: see its log.',
        'caughtError.$': '$.pollError.Error',
      },
      resultPath: '$.pollerFailure',
    });
    describe
      .next(
        new sfn.Pass(this, 'Name Poller Failure', {
          parameters: {
            'error.$': '$.pollerFailure.error',
            'cause.$': 'States.JsonToString($.pollerFailure)',
          },
          resultPath: '$.raised',
        }),
      )
      .next(
        new sfn.Pass(this, 'Raise Poller Failure', {
          parameters: { 'state.$': 'States.JsonMerge($, $.raised, false)' },
          outputPath: '$.state',
        }),
      )
      .next(fail);
    return describe;
  }

  /** Every state name within MAX_STATE_NAME_LENGTH, or the prefix that made one too long is refused now. */
  private checkStateNames(prefix: string): void {
    const longest = this.node
      .findAll()
      .filter((construct): construct is sfn.State => construct instanceof sfn.State)
      .map((state) => state.stateId)
      .reduce((a, b) => (b.length > a.length ? b : a), '');
    if (longest.length > MAX_STATE_NAME_LENGTH) {
      throw new StepWaitValidationError(
        this,
        'statePrefix',
        `at most ${MAX_STATE_NAME_LENGTH - (longest.length - prefix.length)} characters here (state names take ${MAX_STATE_NAME_LENGTH}, and "${longest.slice(prefix.length)}" is the longest), got ${prefix.length}: ${JSON.stringify(prefix)}`,
      );
    }
  }

  /**
   * A segment machine runs the wait with its own definition's options: it must be one stepwait built with
   * this fragment's, or a long wait would change waiter, stages, delays or submit rules at its first hand-over.
   */
  private checkSegmentMachine(segment: sfn.IStateMachine): void {
    const segmentConfig = segmentConfigOf(segment);
    if (segmentConfig === undefined) {
      throw new StepWaitValidationError(
        this,
        'continueIn',
        `expected a segment machine built by stepwait (JobWaiter's segmentStateMachine, or a JobWaitFragment's with ownSegmentMachine), got ${segment.node.path}`,
      );
    }
    const differences = configDifferences(this.pollerConfig, segmentConfig);
    if (differences.length > 0) {
      throw new StepWaitValidationError(
        this,
        'continueIn',
        `the segment machine ${segment.node.path} runs waits with other options (${differences.join(', ')}); a hand-over would change them mid-wait. Give this fragment the same options, or use ownSegmentMachine: true`,
      );
    }
  }

  /** The segment machine of `ownSegmentMachine`: the same wait, ending each segment for this one to go on. */
  private createSegmentMachine(props: JobWaitFragmentProps): sfn.StateMachine {
    const segmentFragment = new JobWaitFragment(this, 'Segment', {
      ...props,
      waiterName: this.pollerConfig.name,
      pollBudget: this.pollerConfig.pollBudget,
      inputPath: '$$.Execution.Input',
      statePrefix: undefined,
      continueIn: undefined,
      ownSegmentMachine: false,
      endsSegment: true,
    });
    const options = {
      logGroup: new logs.LogGroup(this, 'SegmentLogs', { retention: logs.RetentionDays.ONE_MONTH }),
    };
    const machine = new sfn.StateMachine(
      this,
      'SegmentStateMachine',
      waitMachineProps(segmentFragment, options),
    );
    segmentFragment.grantTo(machine);
    acknowledgeWaitMachine(machine, options);
    registerSegmentMachine(machine, segmentFragment.pollerConfig);
    return machine;
  }

  /**
   * IAM statements the host state machine's role needs beyond what its tasks add themselves: SubmitJob on
   * the job definition (any revision) and the queue. JobWaiter applies them; a host machine that chains the
   * fragment calls `grantTo(stateMachine)`.
   */
  readonly policyStatements: iam.PolicyStatement[] = [];

  /** Machines this fragment's poller may wake (grantTo), for unique construct ids. */
  private wakeGrants = 0;

  /** Whether grantTo ran: a fragment that submits cannot work without it. */
  private granted = false;

  /**
   * The wildcard resources these states' permissions put in a host's role, each with why: acknowledged for
   * cdk-nag (AwsSolutions-IAM5) as cdk-nag renders them in the host's stack, at grantTo.
   */
  private readonly findings: GrantedFinding[] = [];

  /** Notes the host-role findings of the poller invoke and the hand-over, which CDK grants by itself. */
  private noteGrantedFindings(poller: lambda.IFunction, segment: sfn.IStateMachine | undefined): void {
    this.findings.push({
      resource: functionVersionsArn(poller),
      reason:
        'lambda:InvokeFunction on the poller and its versions (<arn>:*), as CDK grants it: no other function.',
    });
    if (segment !== undefined) {
      this.findings.push({
        resource: executionsArn(this, segment, '*'),
        reason:
          "startExecution.sync follows the executions it starts, and Describe Segment reads how one ended: DescribeExecution and StopExecution on the segment machine's executions only.",
      });
    }
  }

  /**
   * Gives a host state machine the permissions of the states this fragment adds to it, and acknowledges
   * the wildcard findings they raise (AwsSolutions-IAM5), each for exactly that resource.
   */
  grantTo(stateMachine: sfn.StateMachine): void {
    this.granted = true;
    for (const statement of this.policyStatements) stateMachine.addToRolePolicy(statement);
    if (this.wakeUps !== undefined && this.parkingPoller !== undefined) {
      this.wakeUps.grantWake(stateMachine, this.parkingPoller, this, `PollerWakes${++this.wakeGrants}`);
    }
    for (const { resource, reason } of this.findings)
      acknowledgeWildcard(stateMachine.role, reason, resource);
  }

  /** TerminateJob for every job of the wait, through the AWS SDK integration, allowed on job ARNs only. */
  private terminateJobs(afterwards: sfn.State): sfn.Map {
    const jobs = Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
    const terminate = new tasks.CallAwsService(this, 'Terminate Job', {
      service: 'batch',
      action: 'terminateJob',
      parameters: {
        JobId: sfn.JsonPath.stringAt('$'),
        Reason: 'stepwait: the wait deadline passed (cancelJobOnTimeout)',
      },
      iamResources: [jobs],
      resultPath: sfn.JsonPath.DISCARD,
    });
    terminate.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(2),
      maxAttempts: 4,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
    this.findings.push({
      resource: jobs,
      reason:
        'TerminateJob on job ARNs: the jobs are known only at run time, and terminating is all it may do to them.',
    });
    const terminateAll = new sfn.Map(this, 'Terminate Jobs', {
      comment: 'The deadline passed: stop the jobs rather than leave them running.',
      itemsPath: statePath('jobIds'),
      maxConcurrency: 10,
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(terminate);
    // A termination that still fails must not turn the timeout into another error: the wait ends as it would
    // have, with the failure kept in the state.
    terminateAll.addCatch(afterwards, { errors: ['States.ALL'], resultPath: '$.terminateError' });
    return terminateAll;
  }
}
