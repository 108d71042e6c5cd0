import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeWildcard, executionsArn } from './acknowledgements';

/**
 * What operators (and `stepwait status`, `list` and `cancel`, bin/cli/account/) may do with one waiter's
 * waits, each statement on this waiter's machines or their executions only. Resource types per action are
 * the Service Authorization Reference's ("Actions defined by AWS Step Functions", "... by AWS Batch"):
 * ListExecutions takes the state machine; DescribeExecution, GetExecutionHistory and StopExecution take
 * executions; TerminateJob takes a job.
 */

/** A waiter's two machines: the one waits are started on, and the segment machine long waits go on in. */
export interface WaiterMachines {
  readonly main: sfn.IStateMachine;
  readonly segment: sfn.IStateMachine;
}

export interface CancelGrantOptions {
  /**
   * Also allow `batch:TerminateJob`, which `stepwait cancel --terminate-job` calls for the wait's jobs. A
   * wait's job ids are known only at run time, so this is TerminateJob on every job of the account and
   * region (`job/*`): grant it only to whoever may stop those jobs anyway.
   * @default false
   */
  readonly terminateJobs?: boolean;
}

/**
 * The wildcard resources granted on the grantee's own policy are acknowledged there (AwsSolutions-IAM5, that
 * resource only), as stepwait acknowledges those of its own roles: the grantee's other findings still show.
 */
function acknowledgeOnGrantee(grantee: iam.IGrantable, reason: string, resources: string[]): void {
  const principal = grantee.grantPrincipal;
  if (!Construct.isConstruct(principal)) return;
  for (const resource of resources) acknowledgeWildcard(principal, reason, resource);
}

/**
 * DescribeExecution and GetExecutionHistory on the executions of both machines: `status` and `cancel` find
 * an execution with DescribeExecution and read its history for the stage, the jobs and, after a hand-over,
 * the newest segment, whose history they read too.
 */
function grantReadExecutions(grantee: iam.IGrantable, machines: WaiterMachines): iam.Grant {
  const executions = [machines.main, machines.segment].map((machine) =>
    executionsArn(machine, machine, ':*'),
  );
  acknowledgeOnGrantee(
    grantee,
    "DescribeExecution and GetExecutionHistory on the executions of one stepwait waiter's two machines (their ARNs are minted at run time).",
    executions,
  );
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
    resourceArns: executions,
  });
}

/**
 * Lets `grantee` see waits as `stepwait status` and `stepwait list` do: ListExecutions on the main machine,
 * and DescribeExecution and GetExecutionHistory on both machines' executions.
 */
export function grantReadWaits(grantee: iam.IGrantable, machines: WaiterMachines): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    // `list` lists the waits, i.e. the main machine's executions; segments are an inner detail.
    actions: ['states:ListExecutions'],
    resourceArns: [machines.main.stateMachineArn],
  }).combine(grantReadExecutions(grantee, machines));
}

/**
 * Lets `grantee` cancel waits as `stepwait cancel` does: find and read the execution (see
 * grantReadExecutions), StopExecution on the main machine's executions, and with `terminateJobs` TerminateJob.
 * A wait is cancelled by stopping its main execution; a segment it runs in is the main execution's
 * `startExecution.sync:2` child, which is why the main machine's own role may stop segment executions.
 */
export function grantCancelWaits(
  grantee: iam.IGrantable,
  machines: WaiterMachines,
  options: CancelGrantOptions = {},
): iam.Grant {
  const mainExecutions = executionsArn(machines.main, machines.main, ':*');
  acknowledgeOnGrantee(
    grantee,
    "StopExecution on the executions of one stepwait waiter's main machine (their ARNs are minted at run time).",
    [mainExecutions],
  );
  let grant = grantReadExecutions(grantee, machines).combine(
    iam.Grant.addToPrincipal({ grantee, actions: ['states:StopExecution'], resourceArns: [mainExecutions] }),
  );
  if (options.terminateJobs) {
    const jobs = Stack.of(machines.main).formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
    acknowledgeOnGrantee(
      grantee,
      'TerminateJob on job ARNs, for `stepwait cancel --terminate-job`: the jobs of a wait are known only at run time.',
      [jobs],
    );
    grant = grant.combine(
      iam.Grant.addToPrincipal({ grantee, actions: ['batch:TerminateJob'], resourceArns: [jobs] }),
    );
  }
  return grant;
}
