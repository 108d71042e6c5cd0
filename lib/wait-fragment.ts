import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { HAND_OVER_CONTRACT } from '../lambdas/hand-over';
import { POLL_EVENT_SCHEMA_VERSION } from '../lambdas/poll';
import { checkPollerConfig, type PollerConfig } from '../lambdas/poller-config';
import {
  BATCH_STAGES,
  batchWaiterModel,
  type DelayStrategy,
  defaultDelayStrategy,
  StepWaitError,
  type WaiterModel,
} from '../waiters';
import { acknowledge, executionsWildcard, functionVersionsWildcard } from './acknowledgements';
import { handOverStates } from './hand-over-states';
import {
  acknowledgeWaitMachine,
  configDifferences,
  registerSegmentMachine,
  segmentConfigOf,
  waitMachineProps,
} from './segment-machine';

/** Options shared by the fragment and the JobWaiter construct. */
export interface WaitOptions {
  /**
   * The waiter model the poller decides with (botocore waiter format, version 2).
   * @default batchWaiterModel (JobExists, JobRunning, JobComplete on AWS Batch DescribeJobs)
   */
  readonly waiterModel?: WaiterModel;
  /**
   * The waiters to pass through, in order; each must be in `waiterModel`. A success moves to the next.
   * @default ['JobExists', 'JobRunning', 'JobComplete'] for the Batch model, else every waiter of the model
   */
  readonly stages?: string[];
  /**
   * Delay strategy per stage, in whole seconds (1 to 31,536,000).
   * @default DEFAULT_DELAYS for the Batch model (chosen with `npm run bench`); for other models each
   * waiter's own delay with +/- 2 s jitter (Airflow's BatchWaitersHook)
   */
  readonly delays?: Record<string, DelayStrategy>;
  /**
   * Attempt limits per stage. The deadline governs; a limit applies only where set here or per execution.
   * @default - no limit but the deadline
   */
  readonly maxAttempts?: Record<string, number>;
  /**
   * The deadline of a wait that does not set `timeoutSeconds` in its input; counted from the first poll.
   * @default Duration.hours(24)
   */
  readonly timeout?: Duration;
  /**
   * The longest `timeoutSeconds` an execution may ask for. The state machine's own TimeoutSeconds is this
   * plus a margin: a backstop only, the poller's deadline ends the wait first.
   * @default the larger of `timeout` and 7 days
   */
  readonly maxTimeout?: Duration;
  /**
   * On a passed deadline, fail with `StepWait.Timeout` (true) or end normally with `timedOut: true` (false).
   * An execution may override it with `failOnTimeout` in its input.
   * @default true
   */
  readonly failOnTimeout?: boolean;
  /**
   * Names the waiter in the poller's logs and in the `StepWait/WaitsTimedOut` metric's `Waiter` dimension.
   * @default the construct path
   */
  readonly waiterName?: string;
  /**
   * When the deadline passes, terminate the jobs (Batch TerminateJob, allowed on job ARNs only) before
   * ending, so a timed-out wait does not leave its job running (apache/airflow#36070). The Cause says so.
   * @default false
   */
  readonly cancelJobOnTimeout?: boolean;
  /**
   * Polls per execution before the wait goes on in a fresh one (see `continueIn`), 10 or more.
   * @default DEFAULT_POLL_BUDGET (1,800)
   */
  readonly pollBudget?: number;
  /**
   * Submit the job too. The business key is the job name (`jobName`, or `jobNamePrefix` plus a schedule's
   * `scheduledTime`): the machine first looks it up and attaches to the newest job with exactly that name
   * if it is active or succeeded, so a retried or re-run wait never submits a second job. Only when there
   * is none (or, with `resubmitFailed`, the newest FAILED) does it submit, through the Step Functions Batch
   * integration in request-response mode (`.sync` could not attach to an existing job).
   * @default - the machine only waits
   */
  readonly submit?: SubmitOptions;
}

export interface SubmitOptions {
  /**
   * The job definition: a name, `name:revision`, or an ARN. The role may submit any revision of it.
   * Must be a plain string (not a token), so the permission can be scoped to the definition's name.
   */
  readonly jobDefinition: string;
  /** The job queue: a name or an ARN; also where business keys are looked up. */
  readonly jobQueue: string;
  /**
   * SubmitJob parameters (substituted into the job definition's command); an execution's `parameters`
   * input is merged over them.
   * @default {}
   */
  readonly parameters?: Record<string, string>;
  /**
   * Submit again when the newest job with the business key FAILED. Otherwise the wait attaches to it and
   * fails with StepWait.JobFailed.
   * @default false
   */
  readonly resubmitFailed?: boolean;
}

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
}

/** Polls per execution before a hand-over: ~9 history events each keeps a segment near 16,000 events. */
export const DEFAULT_POLL_BUDGET = 1_800;

const DEFAULT_TIMEOUT = Duration.hours(24);
const MIN_MAX_TIMEOUT = Duration.days(7);
/** A Standard execution lives at most 365 days; the backstop sits an hour above maxTimeout. */
export const MAX_MAX_TIMEOUT = Duration.days(364);

/**
 * stepwait's delays for the built-in Batch stages, picked from the cost/latency frontier that
 * `npm run bench` measures (README, "Choosing delays"):
 * - JobExists backs off from 2 s to 60 s: a job id is visible at the first poll, and a business key whose
 *   job is not submitted yet should not cost 1,800 polls an hour.
 * - JobRunning polls every 30 +/- 10 s: nobody needs to know within seconds that a job left the queue,
 *   and the jitter spreads waits that started together (a nightly batch) from their second call on.
 * - JobComplete backs off from 30 s to 120 s: short jobs are noticed quickly, long ones within two
 *   minutes, and a 24-hour job stays far below the 25,000-event history limit.
 * Other models default to each waiter's own delay with +/- 2 s jitter.
 */
export const DEFAULT_DELAYS: Readonly<Record<string, DelayStrategy>> = {
  JobExists: { kind: 'exponential', minDelay: 2, maxDelay: 60 },
  JobRunning: { kind: 'fixed', delay: 30, jitter: 10 },
  JobComplete: { kind: 'exponential', minDelay: 30, maxDelay: 120 },
};

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

/** Resolves the options to the config every poll event carries, checked now rather than at the first poll. */
export function pollerConfigFor(options: WaitOptions, defaultName: string): PollerConfig {
  const model = options.waiterModel ?? batchWaiterModel;
  const stages = options.stages ?? (model === batchWaiterModel ? [...BATCH_STAGES] : model.listWaiters());
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  const maxTimeout =
    options.maxTimeout ?? (timeout.toSeconds() > MIN_MAX_TIMEOUT.toSeconds() ? timeout : MIN_MAX_TIMEOUT);
  if (maxTimeout.toSeconds() > MAX_MAX_TIMEOUT.toSeconds()) {
    throw new Error(
      `maxTimeout: at most ${MAX_MAX_TIMEOUT.toDays()} days (a Standard execution lives at most a year, and the machine's backstop adds an hour), got ${maxTimeout.toSeconds()} s`,
    );
  }
  const delays: Record<string, DelayStrategy> = {};
  for (const stage of stages) {
    const waiter = model.hasWaiter(stage) ? model.getWaiter(stage) : { delay: 1 };
    const builtIn = model === batchWaiterModel ? DEFAULT_DELAYS[stage] : undefined;
    delays[stage] = options.delays?.[stage] ?? builtIn ?? defaultDelayStrategy(waiter);
  }
  for (const stage of Object.keys(options.delays ?? {})) {
    if (!stages.includes(stage))
      throw new Error(`delays.${stage}: not a stage of this waiter (${stages.join(', ')})`);
  }
  const config: PollerConfig = {
    name: options.waiterName ?? defaultName,
    model: model.toJSON(),
    stages,
    delays,
    maxAttempts: { ...options.maxAttempts },
    ...(options.pollBudget === undefined ? {} : { pollBudget: options.pollBudget }),
    timeoutSeconds: timeout.toSeconds(),
    maxTimeoutSeconds: maxTimeout.toSeconds(),
    failOnTimeout: options.failOnTimeout ?? true,
    cancelJobOnTimeout: options.cancelJobOnTimeout ?? false,
  };
  if (options.submit !== undefined) {
    config.submit = {
      jobQueue: options.submit.jobQueue,
      jobDefinition: options.submit.jobDefinition,
      resubmitFailed: options.submit.resubmitFailed ?? false,
      parameters: { ...options.submit.parameters },
    };
  }
  checkPollerConfig(config);
  return config;
}

/**
 * The wait as a chainable piece of a state machine: per stage `<Stage> Poll` (Lambda) -> `<Stage> Decide`
 * (Choice) -> `<Stage> Wait` (SecondsPath = the poller's delay) -> Poll. It ends in the Pass `Done`, which
 * holds the output `{ status, timedOut, jobs, stages, waitedSeconds }`, so it chains into other machines;
 * failures are Fail states raising `StepWait.*` with a JSON Cause (wrap the fragment in a Parallel with a
 * Catch where a host must survive them). JSONPath only: the local engine runs no JSONata.
 */
export class JobWaitFragment extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];
  /** The config every poll event carries. */
  readonly pollerConfig: PollerConfig;

  /** The segment machine this fragment created (`ownSegmentMachine`). */
  readonly segmentStateMachine?: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: JobWaitFragmentProps) {
    super(scope, id);
    if (props.continueIn !== undefined && props.ownSegmentMachine) {
      throw new Error(`${this.node.path}: continueIn and ownSegmentMachine: give one, not both`);
    }
    const handsOver =
      props.continueIn !== undefined || props.ownSegmentMachine === true || props.endsSegment === true;
    this.pollerConfig = pollerConfigFor(
      { ...props, pollBudget: handsOver ? (props.pollBudget ?? DEFAULT_POLL_BUDGET) : undefined },
      this.node.path,
    );
    if (props.endsSegment) this.pollerConfig.acceptsHandOver = true;
    if (props.ownSegmentMachine) this.segmentStateMachine = this.createSegmentMachine(props);
    const segment = props.continueIn ?? this.segmentStateMachine;
    if (segment !== undefined) this.checkSegmentMachine(segment);
    this.noteGrantedFindings(props.poller, segment);
    const { stages } = this.pollerConfig;
    const configJson = JSON.stringify(this.pollerConfig);

    const inputPath = props.inputPath ?? '$';
    const start = new sfn.Pass(this, 'Start', {
      comment: 'Keeps only the wait request; the first poll validates it and stamps the deadline.',
      // Reading the request from the context object ($$.Execution.Input) needs no state input at all, so
      // even a null input reaches the poller, which refuses it by name.
      ...(inputPath.startsWith('$$.') ? { inputPath: sfn.JsonPath.DISCARD } : {}),
      parameters: { 'request.$': inputPath },
    });
    const done = new sfn.Pass(this, 'Done', {
      comment: 'The output of the wait.',
      parameters: {
        'status.$': '$.status',
        'timedOut.$': '$.timedOut',
        'jobs.$': '$.jobs',
        'stages.$': '$.stages',
        'waitedSeconds.$': '$.waitedSeconds',
      },
    });
    const failed = new sfn.Fail(this, 'Failed', {
      comment:
        'StepWait.JobFailed, JobNotFound, InvalidInput, MaxAttemptsExceeded, AmbiguousBusinessKey, UnknownStatus, PollFailed, SubmitFailed, HandOverFailed, SegmentFailed',
      errorPath: '$.error',
      causePath: '$.cause',
    });
    // How a segment whose wait failed ends depends on the machine that started it. Contract 2: normally, with
    // { error, cause } for that machine to raise (a Cause is never parsed). Contract 1 (stepwait 0.1.0, no
    // handOverVersion): that machine parses the failed segment's Cause, which holds the whole handed-over
    // state and is cut at 32,768 characters; so the failure is relayed through one more, small segment
    // (`continued: true` with only `relay`), which fails with it (`relayed`) where the cut cannot reach.
    const endWithError = props.endsSegment
      ? new sfn.Pass(this, 'End Segment With Error', {
          comment: 'The wait failed: end with { error, cause } for the starting machine to raise.',
          parameters: { 'error.$': '$.error', 'cause.$': '$.cause' },
        })
      : undefined;
    const relayFailure = props.endsSegment
      ? new sfn.Pass(this, 'Relay Failure', {
          comment:
            'A contract-1 machine started this segment: hand the failure to a small segment that fails with it.',
          parameters: {
            continued: true,
            delaySeconds: 0,
            relay: { 'error.$': '$.error', 'cause.$': '$.cause' },
          },
        })
      : undefined;
    const fail =
      endWithError && relayFailure
        ? new sfn.Choice(this, 'Report Failure How?')
            .when(
              sfn.Condition.or(
                // A wait's state carries it; a failure at the segment's first poll has only the request.
                ...['$.handOverVersion', '$.request.handOverVersion'].map((path) =>
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
      : new sfn.Fail(this, 'Timed Out', { error: 'StepWait.Timeout', causePath: '$.cause' });
    const failOnTimeout = new sfn.Choice(this, 'Fail On Timeout?')
      .when(sfn.Condition.booleanEquals('$.failOnTimeout', true), timedOut)
      .otherwise(done);
    const onTimeout = props.cancelJobOnTimeout
      ? this.terminateJobs(failOnTimeout).next(failOnTimeout)
      : failOnTimeout;
    const submitJob = props.submit ? this.submitJob(props.submit) : undefined;
    const continuation = segment
      ? handOverStates(this, segment, { done, failed })
      : props.endsSegment
        ? new sfn.Pass(this, 'Continue In Next Segment', {
            comment: 'Poll budget spent: end with the state to continue from (continued: true).',
          })
        : undefined;

    const pollerFailed = this.pollerFailure(fail);
    const polls = stages.map(
      (stage) =>
        new tasks.LambdaInvoke(this, `${stage} Poll`, {
          lambdaFunction: props.poller,
          payload: sfn.TaskInput.fromObject({
            schemaVersion: POLL_EVENT_SCHEMA_VERSION,
            config: configJson,
            'state.$': '$',
          }),
          // The poller returns the whole next state; keep it, drop the lambda:invoke envelope.
          outputPath: '$.Payload',
          retryOnServiceExceptions: false,
        }),
    );
    const waits = stages.map(
      (stage) => new sfn.Wait(this, `${stage} Wait`, { time: sfn.WaitTime.secondsPath('$.delaySeconds') }),
    );
    polls.forEach((poll, index) => {
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
      poll.addCatch(pollerFailed, { errors: ['States.ALL'], resultPath: '$.pollError' });
      const decide = new sfn.Choice(this, `${stages[index]} Decide`)
        .when(sfn.Condition.stringEquals('$.state', 'success'), done)
        .when(sfn.Condition.stringEquals('$.state', 'timeout'), onTimeout);
      if (index === 0 && submitJob !== undefined) {
        decide.when(sfn.Condition.stringEquals('$.state', 'submit'), submitJob);
      }
      // A poll may settle several stages at once, so each Decide can jump to any later stage's Wait.
      for (let next = index; next < stages.length; next++) {
        decide.when(
          sfn.Condition.and(
            sfn.Condition.stringEquals('$.state', 'retry'),
            sfn.Condition.numberEquals('$.stageIndex', next),
          ),
          waits[next] as sfn.Wait,
        );
      }
      if (continuation !== undefined)
        decide.when(sfn.Condition.stringEquals('$.state', 'continue'), continuation);
      decide.otherwise(fail);
      poll.next(decide);
      (waits[index] as sfn.Wait).next(poll);
    });
    if (props.endsSegment && polls.length > 1) {
      // A segment resumes at the stage the wait had reached, so each poll runs under its own stage's name.
      const resume = new sfn.Choice(this, 'Resume At Stage');
      polls.forEach((poll, index) => {
        if (index === 0) return;
        resume.when(
          sfn.Condition.and(
            sfn.Condition.isPresent('$.request.handOver.stageIndex'),
            sfn.Condition.numberEquals('$.request.handOver.stageIndex', index),
          ),
          poll,
        );
      });
      start.next(resume.otherwise(polls[0] as tasks.LambdaInvoke));
    } else {
      start.next(polls[0] as tasks.LambdaInvoke);
    }
    if (submitJob !== undefined) {
      submitJob.next(polls[0] as tasks.LambdaInvoke);
      // Any failure goes back to the poller with what was caught: it ends the wait on a refusal, and otherwise
      // looks the business key up again (after ListJobs has had time to list a job the call did create)
      // before any second SubmitJob.
      submitJob.addCatch(polls[0] as tasks.LambdaInvoke, {
        errors: ['States.ALL'],
        resultPath: '$.submitError',
      });
    }

    this.startState = start;
    this.endStates = [
      done,
      ...(continuation instanceof sfn.Pass ? [continuation] : []),
      ...(endWithError ? [endWithError] : []),
      ...(relayFailure ? [relayFailure] : []),
    ];
    if (props.statePrefix) this.prefixStates(props.statePrefix);
    this.checkStateNames(props.statePrefix ?? '');
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
      throw new Error(
        `${this.node.path}: statePrefix: at most ${MAX_STATE_NAME_LENGTH - (longest.length - prefix.length)} characters here (state names take ${MAX_STATE_NAME_LENGTH}, and "${longest.slice(prefix.length)}" is the longest), got ${prefix.length}: ${JSON.stringify(prefix)}`,
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
      throw new Error(
        `${this.node.path}: continueIn: expected a segment machine built by stepwait (JobWaiter's segmentStateMachine, or a JobWaitFragment's with ownSegmentMachine), got ${segment.node.path}`,
      );
    }
    const differences = configDifferences(this.pollerConfig, segmentConfig);
    if (differences.length > 0) {
      throw new Error(
        `${this.node.path}: continueIn: the segment machine ${segment.node.path} runs waits with other options (${differences.join(', ')}); a hand-over would change them mid-wait. Give this fragment the same options, or use ownSegmentMachine: true`,
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

  /** cdk-nag findings the permissions of these states raise on a host's role, each with its reason. */
  private readonly findings: { appliesTo: string; reason: string }[] = [];

  /** Notes the host-role findings of the poller invoke and the hand-over, which CDK grants by itself. */
  private noteGrantedFindings(poller: lambda.IFunction, segment: sfn.IStateMachine | undefined): void {
    if (poller.node.defaultChild !== undefined) {
      this.findings.push({
        appliesTo: functionVersionsWildcard(poller),
        reason:
          'lambda:InvokeFunction on the poller and its versions (<arn>:*), as CDK grants it: no other function.',
      });
    }
    if (segment !== undefined && segment.node.defaultChild !== undefined) {
      this.findings.push({
        appliesTo: executionsWildcard(segment),
        reason:
          "startExecution.sync follows the executions it starts: DescribeExecution and StopExecution on the segment machine's executions only.",
      });
    }
  }

  /**
   * Gives a host state machine the permissions of the states this fragment adds to it, and acknowledges
   * the wildcard findings they raise (AwsSolutions-IAM5), each for exactly that resource.
   */
  grantTo(stateMachine: sfn.StateMachine): void {
    for (const statement of this.policyStatements) stateMachine.addToRolePolicy(statement);
    for (const { appliesTo, reason } of this.findings)
      acknowledge(stateMachine.role, 'AwsSolutions-IAM5', reason, appliesTo);
  }

  private submitJob(options: SubmitOptions): sfn.CustomState {
    const stack = Stack.of(this);
    for (const [field, value] of [
      ['jobDefinition', options.jobDefinition],
      ['jobQueue', options.jobQueue],
    ] as const) {
      if (Token.isUnresolved(value)) {
        throw new Error(
          `submit.${field}: expected a plain name or ARN string, got a token (the permission is scoped to its name)`,
        );
      }
    }
    const definitionName = options.jobDefinition
      .replace(/^arn:[^:]+:batch:[^:]*:[^:]*:job-definition\//, '')
      .split(':')[0];
    const queueArn = options.jobQueue.startsWith('arn:')
      ? options.jobQueue
      : stack.formatArn({ service: 'batch', resource: 'job-queue', resourceName: options.jobQueue });
    this.policyStatements.push(
      new iam.PolicyStatement({
        sid: 'SubmitTheWaitedJob',
        actions: ['batch:SubmitJob'],
        resources: [
          stack.formatArn({
            service: 'batch',
            resource: 'job-definition',
            resourceName: `${definitionName}:*`,
          }),
          stack.formatArn({ service: 'batch', resource: 'job-definition', resourceName: definitionName }),
          queueArn,
        ],
      }),
    );
    this.findings.push({
      appliesTo: `Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job-definition/${definitionName}:*`,
      reason: 'SubmitJob on any revision of the one job definition the waiter submits.',
    });
    // Request-response, not .sync: the poller waits, and a re-run attaches to the job by its name.
    // No Retry: a SubmitJob that failed in flight may have submitted; a re-run looks the name up first.
    return new sfn.CustomState(this, 'Submit Job', {
      stateJson: {
        Type: 'Task',
        Comment: 'No job has the business key yet (or only a failed one, with resubmitFailed): submit it.',
        Resource: `arn:${stack.partition}:states:::batch:submitJob`,
        Parameters: {
          'JobName.$': '$.submitRequest.jobName',
          JobDefinition: options.jobDefinition,
          JobQueue: options.jobQueue,
          'Parameters.$': '$.submitRequest.parameters',
        },
        ResultSelector: { 'jobId.$': '$.JobId' },
        ResultPath: '$.submitted',
      },
    });
  }

  /** TerminateJob for every job of the wait, through the AWS SDK integration, allowed on job ARNs only. */
  private terminateJobs(afterwards: sfn.State): sfn.Map {
    const terminate = new tasks.CallAwsService(this, 'Terminate Job', {
      service: 'batch',
      action: 'terminateJob',
      parameters: {
        JobId: sfn.JsonPath.stringAt('$'),
        Reason: 'stepwait: the wait deadline passed (cancelJobOnTimeout)',
      },
      iamResources: [Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
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
      appliesTo: 'Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*',
      reason:
        'TerminateJob on job ARNs: the jobs are known only at run time, and terminating is all it may do to them.',
    });
    const terminateAll = new sfn.Map(this, 'Terminate Jobs', {
      comment: 'The deadline passed: stop the jobs rather than leave them running.',
      itemsPath: '$.jobIds',
      maxConcurrency: 10,
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(terminate);
    // A termination that still fails must not turn the timeout into another error: the wait ends as it would
    // have, with the failure kept in the state.
    terminateAll.addCatch(afterwards, { errors: ['States.ALL'], resultPath: '$.terminateError' });
    return terminateAll;
  }
}
