import { Duration, Names, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { InvalidInputError } from '../lambdas/invalid-input';
import { DEFAULT_JOB_SYSTEM, registeredJobSystem } from '../lambdas/job-systems';
import { WaitMetric } from '../lambdas/wait-metrics';
import { parseWaitRequest, type WaitInput } from '../lambdas/wait-request';
import { acknowledge } from './acknowledgements';
import { BATCH_JOBS, type IJobSystem } from './job-system';
import { PollerFunction, type PollerFunctionProps } from './poller-function';
import type { Registry } from './registry/registry';
import {
  acknowledgeWaitMachine,
  registerSegmentMachine,
  type WaitMachineOptions,
  waitMachineProps,
} from './segment-machine';
import { StepWaitValidationError } from './validation-error';
import { JobWaitFragment } from './wait-fragment';
import { defaultPollBudget, pollerConfigFor, type WaitOptions } from './wait-options';
import { createWaiterAlarms, type WaiterAlarms } from './waiter-alarms';
import {
  type CancelGrantOptions,
  grantCancelWaits,
  grantReadWaits,
  type WaiterMachines,
} from './waiter-grants';
import { pollerMetric } from './waiter-metrics';

/** A wait started on a schedule by EventBridge Scheduler. */
export interface WaitSchedule {
  /** When, e.g. `scheduler.ScheduleExpression.cron({ minute: '0', hour: '2' })` for 02:00 UTC daily. */
  readonly schedule: scheduler.ScheduleExpression;
  /**
   * The execution input, checked at synth by the parser the poller uses. With `jobNamePrefix` (and
   * `jobQueue`) each run waits for that night's business key: the machine appends the scheduled date, since
   * `<aws.scheduler.scheduled-time>`, which stepwait adds as `scheduledTime`, has colons that job and
   * execution names refuse.
   */
  readonly input: WaitInput;
  readonly description?: string;
}

export interface JobWaiterProps
  extends WaitOptions,
    Pick<PollerFunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> {
  /**
   * The state machine's name.
   * @default - a name CloudFormation generates
   */
  readonly stateMachineName?: string;
  /**
   * Log the executions (level ERROR, no execution data: inputs may carry job parameters).
   * @default true
   */
  readonly logging?: boolean;
  /**
   * How long execution and poller logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * X-Ray tracing of executions.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Create CloudWatch alarms (threshold 1 in 5 minutes) on failed executions, timed-out waits and poller
   * errors: the `alarms` property. Without them the metrics are still there: see metricFailed(),
   * metricTimedOut(), metricPollerErrors() and the other metric*() methods.
   * @default false, or true when `alarmActions` are given
   */
  readonly alarms?: boolean;
  /**
   * What each alarm does when it goes into ALARM, e.g. `[new cloudwatch_actions.SnsAction(topic)]` to notify
   * an SNS topic. Giving actions creates the alarms; `alarms: false` with actions is refused. For OK or
   * INSUFFICIENT_DATA actions, or other alarms, use the `alarms` property and the metric*() methods.
   * @default - none: the alarms change state without notifying anyone
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
  /**
   * Start waits on schedules (EventBridge Scheduler). Each gets a role that may start only this machine,
   * 3 retries within an hour, and a shared, encrypted dead-letter queue for starts that still fail.
   * @default - none
   */
  readonly schedules?: WaitSchedule[];
  /**
   * Record every wait of this waiter in a registry of waits, with its owner, status in Tethys' words and
   * jobs, and let its API start, list, cancel and resubmit them by owner (`Registry.of(this)` for the
   * stack's, or a `new Registry(...)` with admins). The waiter is served under its `waiterName`.
   * @default - no registry
   */
  readonly registry?: Registry;
}

/**
 * A state machine that waits for AWS Batch jobs (or any API a waiter model describes): input
 * `{ jobId } | { jobIds } | { jobName, jobQueue }`, output `{ status, timedOut, jobs, stages, waitedSeconds }`,
 * failures as `StepWait.*` errors with a JSON Cause.
 */
export class JobWaiter extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly pollerFunction: PollerFunction;
  readonly fragment: JobWaitFragment;
  /** Runs the rest of a wait that outgrew one execution's history; started only by the main machine. */
  readonly segmentStateMachine: sfn.StateMachine;
  readonly segmentFragment: JobWaitFragment;
  /** Where scheduled starts that failed every retry end up; only with `schedules`. */
  readonly scheduleDeadLetterQueue?: sqs.Queue;
  /** The alarms, with `alarms` or `alarmActions`: add actions or put them on a dashboard. */
  readonly alarms?: WaiterAlarms;
  /** The registry its waits are recorded in, with `registry`. */
  readonly registry?: Registry;
  private readonly waiterName: string;
  private readonly jobSystem: IJobSystem;

  constructor(scope: Construct, id: string, props: JobWaiterProps = {}) {
    super(scope, id);
    this.jobSystem = props.jobSystem ?? BATCH_JOBS;
    this.pollerFunction = new PollerFunction(this, 'Poller', {
      // A poller for another system needs no Batch permission.
      readsBatch: this.jobSystem.systemId === BATCH_JOBS.systemId,
      logRetention: props.logRetention,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
    });
    this.waiterName = props.waiterName ?? Names.uniqueResourceName(this, { maxLength: 64 });
    const machineOptions: WaitMachineOptions = {
      logGroup:
        props.logging === false
          ? undefined
          : new logs.LogGroup(this, 'ExecutionLogs', {
              retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
            }),
      tracing: props.tracing ?? false,
    };
    // The machines' own input is the request: read from the context object, so a null input gets a named error.
    const waitProps = {
      ...props,
      waiterName: this.waiterName,
      poller: this.pollerFunction,
      inputPath: '$$.Execution.Input',
      ...(props.registry ? { recordedInRegistry: true } : {}),
    };

    // Mistakes in the props are reported against this construct, before the fragments are built.
    pollerConfigFor(
      this,
      { ...waitProps, pollBudget: props.pollBudget ?? defaultPollBudget(props) },
      this.waiterName,
    );

    // A long wait goes on in fresh executions of the segment machine before the history limit; the main
    // machine starts them, so callers still see one execution (a machine starting itself would be a cycle).
    this.segmentFragment = new JobWaitFragment(this, 'Segment', { ...waitProps, endsSegment: true });
    this.segmentStateMachine = new sfn.StateMachine(
      this,
      'SegmentStateMachine',
      waitMachineProps(this.segmentFragment, machineOptions),
    );
    this.segmentFragment.grantTo(this.segmentStateMachine);
    registerSegmentMachine(this.segmentStateMachine, this.segmentFragment.pollerConfig);

    this.fragment = new JobWaitFragment(this, 'Wait', { ...waitProps, continueIn: this.segmentStateMachine });
    this.stateMachine = new sfn.StateMachine(
      this,
      'StateMachine',
      waitMachineProps(this.fragment, { ...machineOptions, stateMachineName: props.stateMachineName }),
    );
    this.fragment.grantTo(this.stateMachine);
    acknowledgeWaitMachine(this.stateMachine, machineOptions);
    acknowledgeWaitMachine(this.segmentStateMachine, machineOptions);
    if (props.schedules?.length) this.scheduleDeadLetterQueue = this.createSchedules(props.schedules);
    this.alarms = this.createAlarms(props);
    this.registry = props.registry;
    this.registry?.addWaiter(
      this,
      this.waiterName,
      { main: this.stateMachine, segment: this.segmentStateMachine },
      this.pollerFunction,
      { submits: props.submit !== undefined },
    );
  }

  /**
   * Each schedule's input is checked now, by the parser the poller applies to every execution's input, so a
   * schedule that would fail every night fails the synth instead. Inputs holding tokens are left to the poller.
   */
  private checkSchedules(schedules: readonly WaitSchedule[]): void {
    const config = this.fragment.pollerConfig;
    // A queue given as a construct or token is an ARN once deployed; the check stands in one for it.
    const submitAsDeployed =
      config.submit && Token.isUnresolved(config.submit.jobQueue)
        ? { ...config.submit, jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/known-at-deploy' }
        : config.submit;
    schedules.forEach((wait, index) => {
      const prop = `schedules[${index}].input`;
      const input = wait.input as unknown as Record<string, unknown>;
      if ('scheduledTime' in input) {
        throw StepWaitValidationError.expected(
          this,
          `${prop}.scheduledTime`,
          'nothing: stepwait adds the scheduled time',
          input.scheduledTime,
        );
      }
      if (Token.isUnresolved(JSON.stringify(input))) return;
      const asRun = 'jobNamePrefix' in input ? { ...input, scheduledTime: '2026-01-01T02:00:00Z' } : input;
      try {
        parseWaitRequest(
          asRun,
          config.stages,
          config.maxTimeoutSeconds,
          submitAsDeployed,
          'current',
          registeredJobSystem(config.system ?? DEFAULT_JOB_SYSTEM).model.naming,
        );
      } catch (error) {
        if (error instanceof InvalidInputError)
          throw new StepWaitValidationError(this, `${prop}.${error.field}`, error.detail);
        throw error;
      }
    });
  }

  private createSchedules(schedules: WaitSchedule[]): sqs.Queue {
    this.checkSchedules(schedules);
    const deadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the schedules.',
    );
    schedules.forEach((wait, index) => {
      const input =
        'jobNamePrefix' in wait.input
          ? { ...wait.input, scheduledTime: scheduler.ContextAttribute.scheduledTime }
          : wait.input;
      new scheduler.Schedule(this, `Schedule${index + 1}`, {
        schedule: wait.schedule,
        description: wait.description,
        // The target's role is created for this schedule and may start only this state machine.
        target: new targets.StepFunctionsStartExecution(this.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject(input),
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
          deadLetterQueue,
        }),
      });
    });
    return deadLetterQueue;
  }

  /** Lets `grantee` start waits (states:StartExecution on this machine only). */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /**
   * Lets `grantee` see waits, all `stepwait status` and `stepwait list` call: states:ListExecutions on this
   * waiter's machine, states:DescribeExecution and states:GetExecutionHistory on its executions and its
   * segment machine's. Unlike StateMachine.grantRead, nothing on "*". (Finding the machine by its stack, the
   * CLI's `--stack`, also needs cloudformation:DescribeStacks; `--state-machine-arn` does not.)
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return grantReadWaits(grantee, this.machines());
  }

  /**
   * Lets `grantee` cancel waits, all `stepwait cancel` calls: states:StopExecution on this waiter's
   * executions, with states:DescribeExecution and states:GetExecutionHistory to find the execution and its
   * jobs; with `terminateJobs`, batch:TerminateJob for `--terminate-job` (on every job: see
   * CancelGrantOptions).
   */
  grantCancel(grantee: iam.IGrantable, options?: CancelGrantOptions): iam.Grant {
    if (options?.terminateJobs && !this.jobSystem.cancelsInMachine) {
      throw StepWaitValidationError.expected(
        this,
        'grantCancel.terminateJobs',
        `false: stepwait cancel --terminate-job terminates AWS Batch jobs, and this waiter polls ${this.jobSystem.systemId} jobs (cancelJobOnTimeout cancels them)`,
        true,
      );
    }
    return grantCancelWaits(grantee, this.machines(), options);
  }

  private machines(): WaiterMachines {
    return { main: this.stateMachine, segment: this.segmentStateMachine };
  }

  /** Waits started (Step Functions' ExecutionsStarted of this machine; segments are not counted). */
  metricStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricStarted(props);
  }

  /**
   * Waits that succeeded (ExecutionsSucceeded). A wait with `failOnTimeout: false` that timed out ends
   * normally too, with `timedOut: true`: metricTimedOut() counts it.
   */
  metricSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricSucceeded(props);
  }

  /** Executions that failed: job failures, missing jobs, invalid input and (a Fail too) timeouts. */
  metricFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed(props);
  }

  /**
   * Waits whose deadline passed, from the poller's Embedded Metric Format log line. Step Functions counts a
   * StepWait.Timeout Fail as ExecutionsFailed, so timeouts need a metric of their own. Sum over 5 minutes.
   */
  metricTimedOut(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pollerMetric(this.waiterName, WaitMetric.TimedOut, props);
  }

  /**
   * How long after its jobs finished a wait noticed, in seconds: from the last job's `stoppedAt` (a success)
   * or the first failed job's (a failure) to the poll that saw it; one value per wait that ended on finished
   * jobs, from the poller. Average over 5 minutes; pass `{ statistic: 'p90' }` for a percentile.
   */
  metricDetectionLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pollerMetric(this.waiterName, WaitMetric.DetectionLatency, props);
  }

  /**
   * Status calls (DescribeJobs, ListJobs) Batch throttled: each is retried after a backoff in the machine,
   * never in the Lambda, so many of them delay waits. Sum over 5 minutes.
   */
  metricThrottledStatusCalls(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pollerMetric(this.waiterName, WaitMetric.ThrottledStatusCalls, props);
  }

  /**
   * Polls per wait, over all its executions (each a Lambda invocation and ~9 history events): one value per
   * ended wait, from the poller. Average over 5 minutes: what the delays cost.
   */
  metricPollsPerWait(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pollerMetric(this.waiterName, WaitMetric.PollsPerWait, props);
  }

  /** Poller invocations that threw (crashes, timeouts, malformed events). */
  metricPollerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.pollerFunction.metricErrors(props);
  }

  private createAlarms(props: JobWaiterProps): WaiterAlarms | undefined {
    const actions = props.alarmActions ?? [];
    if (props.alarms === false && actions.length > 0) {
      throw new StepWaitValidationError(
        this,
        'alarmActions',
        `given ${actions.length} action(s), but alarms is false; leave alarms out (actions create the alarms) or drop alarmActions`,
      );
    }
    if (!(props.alarms ?? actions.length > 0)) return undefined;
    const fiveMinutes = { period: Duration.minutes(5) };
    return createWaiterAlarms(
      this,
      {
        failed: this.metricFailed(fiveMinutes),
        timedOut: this.metricTimedOut(),
        pollerErrors: this.metricPollerErrors(fiveMinutes),
      },
      actions,
    );
  }
}
