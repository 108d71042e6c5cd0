import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { REGISTRY_TABLE_ENV, REGISTRY_TABLE_SCHEMA } from '../../lambdas/registry/registry-store';
import {
  REGISTRY_ADMINS_ENV,
  REGISTRY_WAITERS_ENV,
  type RegistryWaiterName,
} from '../../lambdas/registry/registry-waiters';
import { acknowledge, acknowledgeWildcard, executionsArn } from '../acknowledgements';
import { handlerFunction } from '../handler-function';
import type { PollerFunction } from '../poller-function';
import { stackSingleton } from '../stack-singleton';
import { StepWaitValidationError } from '../validation-error';
import type { WaiterMachines } from '../waiter-grants';

/**
 * An admin: an IAM role defined in this app (its RoleId is read at deploy), or the unique id of a user
 * (`AIDA...`) or role (`AROA...`), e.g. from `aws iam get-role`. An imported role has no RoleId to read.
 */
export type RegistryAdmin = iam.Role | string;

export interface RegistryProps {
  /**
   * Principals that see and act on every wait, whoever started it (as Tethys' staff). Roles of this app
   * are named by their unique id (RoleId), never by ARN or session name: a role deleted and made again gets
   * a new id and no rights.
   * @default - none: everyone sees only their own waits
   */
  readonly admins?: RegistryAdmin[];
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** The IAM unique id of a user or role (IAM User Guide, "Unique identifiers"). */
const UNIQUE_ID = /^(AIDA|AROA)[A-Z0-9]{12,128}$/;

/** The API answers in milliseconds, but a start or a cancel may call Step Functions and Batch a few times. */
const API_TIMEOUT = Duration.seconds(30);

/** The id of a stack's Registry (Registry.of). */
export const REGISTRY_ID = 'StepWaitRegistry';

/** All of a function's environment variables, keys and values, take at most 4 KB (Lambda quotas). */
const LAMBDA_ENVIRONMENT_BYTES = 4_096;
/**
 * The longest a state machine ARN gets once deployed: `arn:` + the longest partition (`aws-us-gov`, 10) +
 * `:states:` + the longest region (14) + `:` + the account (12) + `:stateMachine:` + a name of at most 80
 * characters (Step Functions' limit, which CloudFormation's generated names keep to).
 */
const MAX_DEPLOYED_MACHINE_ARN = 4 + 10 + 8 + 14 + 1 + 12 + 14 + 80;
/** A table name is at most 255 characters; a unique id (AIDA/AROA...) at most 128. */
const MAX_TABLE_NAME = 255;
const MAX_UNIQUE_ID = 128;

/**
 * The most the API's environment can take once deployed, its tokens at their longest: the variables'
 * names, the table name, the waiters' JSON and the admins' ids.
 */
function apiEnvironmentBound(waiters: readonly RegistryWaiterName[], adminIds: readonly string[]): number {
  const waitersJson = JSON.stringify(
    waiters.map(({ name }) => ({ name, stateMachineArn: 'x'.repeat(MAX_DEPLOYED_MACHINE_ARN) })),
  );
  const admins = adminIds
    .map((id) => (Token.isUnresolved(id) ? MAX_UNIQUE_ID : Buffer.byteLength(id)))
    .reduce((sum, length) => sum + length + 1, 0);
  return (
    Buffer.byteLength(REGISTRY_TABLE_ENV) +
    MAX_TABLE_NAME +
    Buffer.byteLength(REGISTRY_WAITERS_ENV) +
    Buffer.byteLength(waitersJson) +
    Buffer.byteLength(REGISTRY_ADMINS_ENV) +
    admins
  );
}

/** What an execution's end event says; "Step Functions Execution Status Change" (Step Functions User Guide). */
const ENDED_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/**
 * The registry of waits (issue: a job manager, as Tethys' Jobs API): a table of every wait of the waiters
 * given it, written by their pollers when a wait's status changes and by a recorder of execution ends; and
 * the registry API (start, list, get, cancel, resubmit, delete, each for the caller's own waits) behind a
 * Lambda function URL with AuthType AWS_IAM, so an owner is the IAM identity Lambda verified.
 */
export class Registry extends Construct {
  /** The stack's Registry, created with defaults on first use. */
  static of(scope: IConstruct): Registry {
    return stackSingleton(scope, REGISTRY_ID, Registry, (stack, id) => new Registry(stack, id));
  }

  readonly table: dynamodb.Table;
  /** The registry API and its URL (AuthType AWS_IAM): `grantUse` lets a principal call it. */
  readonly api: nodejs.NodejsFunction;
  readonly url: lambda.FunctionUrl;
  /** Records the ends the polls cannot see (a stopped execution, a machine timeout). */
  readonly endRecorder: nodejs.NodejsFunction;
  /**
   * Execution-end events that never got recorded: those EventBridge could not deliver within 24 hours, and
   * those the recorder still failed after Lambda's two retries. Worth an alarm.
   */
  readonly endsDeadLetterQueue: sqs.Queue;

  private readonly waiters: RegistryWaiterName[] = [];
  private readonly mainMachineArns: string[] = [];
  private readonly pollers = new Set<PollerFunction>();
  private terminates = false;

  constructor(scope: Construct, id: string, props: RegistryProps = {}) {
    super(scope, id);
    const adminIds = (props.admins ?? []).map((admin, index) => this.adminId(admin, index));
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: REGISTRY_TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: REGISTRY_TABLE_SCHEMA.timeToLive,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The record of who ran what: kept when the stack goes, and recoverable to a point in time.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    for (const index of [REGISTRY_TABLE_SCHEMA.byOwner, REGISTRY_TABLE_SCHEMA.byCreated]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
      });
    }

    this.api = handlerFunction(this, 'Api', 'registry-api', {
      timeout: API_TIMEOUT,
      description: 'stepwait registry API: start, list, get, cancel, resubmit and delete waits, by owner',
      roleDescription:
        'stepwait registry API: read and write the registry, start and stop its waiters, write its own logs',
      environment: {
        [REGISTRY_TABLE_ENV]: this.table.tableName,
        [REGISTRY_WAITERS_ENV]: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.waiters) }),
        [REGISTRY_ADMINS_ENV]: adminIds.join(','),
      },
      logRetention: props.logRetention,
    });
    this.table.grant(
      this.api,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:Query',
    );
    acknowledgeWildcard(
      this.api.role as iam.Role,
      "Query on the registry table's own two indexes (byOwner, byCreated), as CDK grants it: <table>/index/*.",
      `${this.table.tableArn}/index/*`,
    );
    this.url = this.api.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    this.endsDeadLetterQueue = new sqs.Queue(this, 'EndsDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.endsDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the execution-end events.',
    );
    this.endRecorder = handlerFunction(this, 'EndRecorder', 'registry-ends', {
      timeout: Duration.seconds(10),
      description: 'stepwait registry: records how each wait execution ended',
      roleDescription: 'stepwait registry end recorder: write wait ends to the registry, write its own logs',
      environment: { [REGISTRY_TABLE_ENV]: this.table.tableName },
      logRetention: props.logRetention,
    });
    this.endRecorder.addToRolePolicy(this.updateItemOnly());
    // EventBridge invokes the recorder asynchronously: its retries and dead-letter queue cover only handing
    // the event to Lambda. A recorder that fails (the table throttled past its retries) is retried by Lambda
    // (twice, within at most 6 hours) and then sent to the same queue ("Lambda asynchronous invocation",
    // destinations), so no end is lost silently.
    this.endRecorder.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new lambdaDestinations.SqsDestination(this.endsDeadLetterQueue),
    });
    new events.Rule(this, 'ExecutionEnds', {
      description: "stepwait registry: the waiters' execution ends, for the waits' final status",
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ENDED_STATUSES,
          stateMachineArn: Lazy.list({ produce: () => this.mainMachineArns }),
        },
      },
    }).addTarget(
      new eventTargets.LambdaFunction(this.endRecorder, {
        deadLetterQueue: this.endsDeadLetterQueue,
        maxEventAge: Duration.hours(24),
        retryAttempts: 185,
      }),
    );
    this.node.addValidation({
      validate: () => {
        if (this.waiters.length === 0)
          return ['registry: no waiter uses this Registry: give it to a JobWaiter (`registry` prop)'];
        const bytes = apiEnvironmentBound(this.waiters, adminIds);
        return bytes <= LAMBDA_ENVIRONMENT_BYTES
          ? []
          : [
              `registry: the registry API's environment may need ${bytes} bytes once deployed for its ${this.waiters.length} waiters, over the ${LAMBDA_ENVIRONMENT_BYTES} Lambda allows (Lambda Developer Guide, "Working with Lambda environment variables"): give the waiters shorter waiterNames, or spread them over registries in separate stacks`,
            ];
      },
    });
  }

  /** UpdateItem on the table itself, not its indexes (as table.grant would add): all a writer of waits needs. */
  private updateItemOnly(): iam.PolicyStatement {
    return new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [this.table.tableArn] });
  }

  private adminId(admin: RegistryAdmin, index: number): string {
    if (typeof admin === 'string') {
      if (Token.isUnresolved(admin) || UNIQUE_ID.test(admin)) return admin;
      throw StepWaitValidationError.expected(
        this,
        `admins[${index}]`,
        'the unique id of an IAM user (AIDA...) or role (AROA...), or a role of this app',
        admin,
      );
    }
    // The type allows only a Role, but a plain-JavaScript app may pass an imported one.
    const role = admin as iam.IRole;
    if (role instanceof iam.Role) return (role.node.defaultChild as iam.CfnRole).attrRoleId;
    throw StepWaitValidationError.expected(
      this,
      `admins[${index}]`,
      'a role defined in this app (an imported role has no RoleId to read): give its unique id (AROA...) instead',
      role.roleArn,
    );
  }

  /**
   * Records the waits of a JobWaiter and lets the API start and cancel them: its poller writes the
   * registry (UpdateItem only), the API may StartExecution and DescribeStateMachine on the main machine and
   * DescribeExecution and StopExecution on both machines' executions, and with `submits` TerminateJob.
   * @throws StepWaitValidationError (`registry`) for a waiter name the registry already serves
   */
  addWaiter(
    scope: IConstruct,
    name: string,
    machines: WaiterMachines,
    poller: PollerFunction,
    options: { submits: boolean },
  ): void {
    if (Stack.of(scope) !== Stack.of(this)) {
      throw new StepWaitValidationError(
        scope,
        'registry',
        `expected a Registry in this waiter's stack (${Stack.of(scope).node.path}), got one in ${Stack.of(this).node.path}: each references the other, which across stacks is a dependency cycle`,
      );
    }
    if (this.waiters.some((waiter) => waiter.name === name)) {
      throw new StepWaitValidationError(
        scope,
        'registry',
        `the registry ${this.node.path} already serves a waiter named ${JSON.stringify(name)}: give this one another waiterName`,
      );
    }
    this.waiters.push({ name, stateMachineArn: machines.main.stateMachineArn });
    this.mainMachineArns.push(machines.main.stateMachineArn);
    if (!this.pollers.has(poller)) {
      this.pollers.add(poller);
      poller.addEnvironment(REGISTRY_TABLE_ENV, this.table.tableName);
      poller.addToRolePolicy(this.updateItemOnly());
    }
    this.api.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution', 'states:DescribeStateMachine'],
        resources: [machines.main.stateMachineArn],
      }),
    );
    const executions = [machines.main, machines.segment].map((machine) => executionsArn(this, machine, ':*'));
    this.api.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: executions,
      }),
    );
    for (const resource of executions) {
      acknowledgeWildcard(
        this.api.role as iam.Role,
        "DescribeExecution and StopExecution on the executions of a waiter's two machines (their ARNs are minted at run time).",
        resource,
      );
    }
    if (options.submits && !this.terminates) {
      this.terminates = true;
      const jobs = Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
      // Cancel terminates only the jobs the wait submitted itself (the registry records them), never others.
      this.api.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['batch:TerminateJob'], resources: [jobs] }),
      );
      acknowledgeWildcard(
        this.api.role as iam.Role,
        'TerminateJob on Batch jobs: job ids are minted at run time; the API terminates only jobs a wait submitted itself.',
        jobs,
      );
    }
  }

  /**
   * Lets a principal call the registry API (the CLI, `stepwait ui`): lambda:InvokeFunctionUrl, and since
   * October 2025 lambda:InvokeFunction too, only through the URL ("Control access to Lambda function URLs").
   * What it then sees is its own waits; admins see all.
   */
  grantUse(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:InvokeFunctionUrl'],
      resourceArns: [this.api.functionArn],
      conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
    }).combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['lambda:InvokeFunction'],
        resourceArns: [this.api.functionArn],
        conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      }),
    );
  }
}
