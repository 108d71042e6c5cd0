import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { DEFAULT_JOB_SYSTEM, registeredJobSystem } from '../../lambdas/job-systems';
import type { PollerConfig } from '../../lambdas/poller-config';
import { CALLBACK_SECRET_ENV, CALLBACK_URL_ENV } from '../../lambdas/wake-up/callback-url';
import { PARK_TABLE_ENV, PARK_TABLE_SCHEMA } from '../../lambdas/wake-up/park-store';
import { statusesNamedBy, WaiterModel } from '../../waiters';
import { acknowledge } from '../acknowledgements';
import { handlerFunction } from '../handler-function';
import type { PollerFunction } from '../poller-function';
import { stackSingleton } from '../stack-singleton';
import { StepWaitValidationError } from '../validation-error';

/**
 * What event mode deploys once per stack, shared by every waiter in it that parks (`wakeUp: 'events'`):
 * the park table, the queue job state-change events land in (with its dead-letter queue), and the waker
 * that drains it. Each waiter adds its own EventBridge rule for the statuses its stages wait on.
 */
export interface WakeUpsProps {
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How often the sweeper checks every parked wait's job (100 per DescribeJobs call) and wakes those whose
   * job moved: the bound on how late a wait notices its job when every event is lost. 1 to 60 minutes.
   * @default Duration.minutes(5)
   */
  readonly sweepInterval?: Duration;
  /**
   * Give every parked wait a callback URL (in its output and the CLI) that an outside system or the job
   * calls to wake it, as Tethys' job status callback: a Lambda function URL, signed with a key from a
   * Secrets Manager secret this creates. `authType: AWS_IAM` for organisations that forbid unauthenticated
   * function URLs (callers then sign with SigV4).
   * @default - no callback URLs
   */
  readonly callbacks?: CallbackOptions;
}

export interface CallbackOptions {
  /** @default lambda.FunctionUrlAuthType.NONE: the signature in the URL is the credential */
  readonly authType?: lambda.FunctionUrlAuthType;
  /**
   * Reserved concurrency of the callback function, so a flood of calls at a public URL cannot take the
   * account's Lambda concurrency from the pollers (a few are plenty: each call is a Query and a
   * SendTaskSuccess). Left unset by default because reserving fails to deploy in an account whose
   * concurrency limit leaves less than 100 unreserved (new accounts may have 10).
   * @default - none reserved
   */
  readonly reservedConcurrency?: number;
}

/** The sweeper's default interval: with every event lost, a wait notices its job within about this long. */
export const DEFAULT_SWEEP_INTERVAL = Duration.minutes(5);

/** The waker's timeout: a batch of ten messages, each a strongly consistent Query and a SendTaskSuccess or two. */
const WAKER_TIMEOUT = Duration.seconds(30);
/** The sweeper stops starting status calls after a minute (lambdas/sweeper.ts) and finishes well inside this. */
const SWEEPER_TIMEOUT = Duration.seconds(90);

/**
 * "Set the source queue's visibility timeout to at least six times the timeout that you configure on your
 * function" (Lambda Developer Guide, "Using Lambda with Amazon SQS"), so a message being handled is not
 * handed to a second invocation.
 */
const QUEUE_VISIBILITY_TIMEOUT = Duration.seconds(WAKER_TIMEOUT.toSeconds() * 6);

/** A message the waker failed this often goes to the dead-letter queue (throttling lasts seconds, not minutes). */
const MAX_RECEIVE_COUNT = 5;

const WAKE_UPS_ID = 'StepWaitWakeUps';

export class WakeUps extends Construct {
  /** The stack's WakeUps, created with defaults on first use. */
  static of(scope: IConstruct): WakeUps {
    return stackSingleton(scope, WAKE_UPS_ID, WakeUps, (stack, id) => new WakeUps(stack, id));
  }

  readonly table: dynamodb.Table;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly waker: nodejs.NodejsFunction;
  readonly sweeper: nodejs.NodejsFunction;
  /** With `callbacks`: the function behind the URLs, its URL, and the signing keys. */
  readonly callback?: {
    readonly function: nodejs.NodejsFunction;
    readonly url: lambda.FunctionUrl;
    readonly keys: secretsmanager.Secret;
  };
  private readonly rules = new Map<string, events.Rule>();
  private readonly pollers = new Set<PollerFunction>();
  private readonly machines = new Set<sfn.IStateMachine>();

  constructor(scope: Construct, id: string, props: WakeUpsProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'ParkTable', {
      partitionKey: { name: PARK_TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: PARK_TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: PARK_TABLE_SCHEMA.timeToLive,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Park records live for hours and mean nothing once their waits are gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.table,
      'AwsSolutions-DDB3',
      'Park records live for hours and are re-created by the next poll: there is nothing to recover to a point in time.',
    );
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the wake-up events.',
    );
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: QUEUE_VISIBILITY_TIMEOUT,
      // EventBridge retries delivery for 24 hours; an event older than a day wakes nothing that matters.
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    this.waker = this.handlerFunction('Waker', 'waker', props, {
      timeout: WAKER_TIMEOUT,
      description: 'stepwait waker: wakes waits parked on jobs whose state-change events arrive',
      roleDescription: 'stepwait waker: read and delete park records, wake parked waits, write its own logs',
    });
    this.table.grant(this.waker, 'dynamodb:Query', 'dynamodb:DeleteItem');
    this.waker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        // No batching window: a wake-up should not wait for company.
        reportBatchItemFailures: true,
      }),
    );

    const sweepInterval = props.sweepInterval ?? DEFAULT_SWEEP_INTERVAL;
    const minutes = sweepInterval.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
      throw StepWaitValidationError.expected(
        this,
        'sweepInterval',
        'whole minutes from 1 to 60',
        sweepInterval,
      );
    }
    this.sweeper = this.handlerFunction('Sweeper', 'sweeper', props, {
      timeout: SWEEPER_TIMEOUT,
      description: 'stepwait sweeper: wakes parked waits whose jobs moved, in case their events were lost',
      roleDescription:
        'stepwait sweeper: read park records and job status, wake parked waits, write its own logs',
    });
    this.table.grant(this.sweeper, 'dynamodb:Scan', 'dynamodb:DeleteItem');
    // DescribeJobs supports no resource-level permissions (Service Authorization Reference, AWS Batch).
    this.sweeper.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadBatchJobStatus',
        actions: ['batch:DescribeJobs'],
        resources: ['*'],
      }),
    );
    acknowledge(
      this.sweeper.role as iam.Role,
      'AwsSolutions-IAM5',
      'batch:DescribeJobs supports no resource-level permissions; the sweeper reads job status and nothing else of Batch.',
      'Resource::*',
    );
    if (props.callbacks !== undefined) this.callback = this.createCallback(props, props.callbacks);
    new events.Rule(this, 'SweepSchedule', {
      description: 'stepwait: the sweeper checks parked waits, in case their events were lost',
      schedule: events.Schedule.rate(sweepInterval),
    }).addTarget(new eventTargets.LambdaFunction(this.sweeper, { retryAttempts: 0 }));
  }

  /**
   * The callback function and its URL, and the secret of signing keys: `{ "current": "k1", "k1": <48
   * random characters> }`. A key rotates by adding one and making it current; the old one stays until the
   * URLs it signed have expired (the waiters' maxTimeout).
   */
  private createCallback(props: WakeUpsProps, options: CallbackOptions): NonNullable<WakeUps['callback']> {
    const keys = new secretsmanager.Secret(this, 'CallbackKeys', {
      description:
        'stepwait: the keys callback URLs are signed with (current, and older ones until their URLs expire)',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ current: 'k1' }),
        generateStringKey: 'k1',
        passwordLength: 48,
        excludePunctuation: true,
      },
    });
    acknowledge(
      keys,
      'AwsSolutions-SMG4',
      'Signing keys rotate by adding a key and making it current while the old one verifies the URLs it signed until they expire; a rotation Lambda replacing the value would invalidate every URL at once.',
    );
    const fn = this.handlerFunction('Callback', 'callback', props, {
      timeout: Duration.seconds(10),
      description: 'stepwait callback: a signed URL wakes the parked wait it names',
      roleDescription:
        'stepwait callback: read the signing keys, read and write park records, wake parked waits',
    });
    fn.addEnvironment(CALLBACK_SECRET_ENV, keys.secretArn);
    if (options.reservedConcurrency !== undefined) {
      if (!Number.isInteger(options.reservedConcurrency) || options.reservedConcurrency < 1) {
        throw StepWaitValidationError.expected(
          this,
          'callbacks.reservedConcurrency',
          'a whole number >= 1',
          options.reservedConcurrency,
        );
      }
      (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = options.reservedConcurrency;
    }
    keys.grantRead(fn);
    this.table.grant(fn, 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem');
    const url = fn.addFunctionUrl({ authType: options.authType ?? lambda.FunctionUrlAuthType.NONE });
    return { function: fn, url, keys };
  }

  /** A handler of lambdas/ with the park table's name in its environment. */
  private handlerFunction(
    id: string,
    handler: string,
    props: WakeUpsProps,
    options: { timeout: Duration; description: string; roleDescription: string },
  ): nodejs.NodejsFunction {
    return handlerFunction(this, id, handler, {
      ...options,
      environment: { [PARK_TABLE_ENV]: this.table.tableName },
      logRetention: props.logRetention,
    });
  }

  /** Lets a poller park: the table's name in its environment, and PutItem and DeleteItem on it only. */
  bindPoller(poller: PollerFunction): void {
    if (this.pollers.has(poller)) return;
    this.pollers.add(poller);
    poller.addEnvironment(PARK_TABLE_ENV, this.table.tableName);
    this.table.grant(poller, 'dynamodb:PutItem', 'dynamodb:DeleteItem');
    if (this.callback !== undefined) {
      poller.addEnvironment(CALLBACK_URL_ENV, this.callback.url.url);
      poller.addEnvironment(CALLBACK_SECRET_ENV, this.callback.keys.secretArn);
      this.callback.keys.grantRead(poller);
    }
  }

  /**
   * Routes the state-change events a waiter's stages wait on to the queue: one rule per distinct pattern
   * (the main and segment machines of a JobWaiter, and waiters with the same stages, share one). Not
   * filtered by job queue: a waiter that submits still waits for job ids in any queue.
   */
  wakeOn(config: PollerConfig): events.Rule {
    const system = registeredJobSystem(config.system ?? DEFAULT_JOB_SYSTEM).model;
    const stateChanges = system.stateChangeEvents;
    if (stateChanges === undefined) throw new RangeError(`${system.title} has no state-change events`);
    const statuses = statusesNamedBy(
      new WaiterModel(config.model),
      config.stages,
      Object.keys(system.phases),
    );
    const detail: Record<string, string[]> = {};
    if (statuses !== undefined) detail[stateChanges.statusField] = statuses;
    const pattern: events.EventPattern = {
      source: [stateChanges.source],
      detailType: [stateChanges.detailType],
      ...(Object.keys(detail).length === 0 ? {} : { detail }),
    };
    // Token strings are stable per token, so equal patterns give equal keys.
    const key = JSON.stringify(pattern);
    let rule = this.rules.get(key);
    if (rule === undefined) {
      rule = new events.Rule(this, `Rule${this.rules.size + 1}`, {
        description: `stepwait: ${system.title} state changes that wake parked waits (${config.name})`,
        eventPattern: pattern,
      });
      rule.addTarget(new eventTargets.SqsQueue(this.queue));
      this.rules.set(key, rule);
    }
    return rule;
  }

  /**
   * Lets the waker and the sweeper wake `machine`'s parked tasks, and its poller too (a park that sees its
   * job moved wakes itself): states:SendTaskSuccess on that machine only. The poller's grant is a policy of its own, outside
   * the function's default policy, so the machine (which names the poller) does not depend on itself.
   */
  grantWake(machine: sfn.StateMachine, poller: PollerFunction, scope: Construct, id: string): void {
    if (!this.machines.has(machine)) {
      this.machines.add(machine);
      for (const waking of [this.waker, this.sweeper]) {
        waking.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['states:SendTaskSuccess'],
            resources: [machine.stateMachineArn],
          }),
        );
      }
    }
    // The callback function's grant too: its URL is in the poller's environment, so the same cycle.
    new iam.Policy(scope, id, {
      roles: [poller.role as iam.IRole, ...(this.callback ? [this.callback.function.role as iam.IRole] : [])],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:SendTaskSuccess'],
          resources: [machine.stateMachineArn],
        }),
      ],
    });
  }
}
