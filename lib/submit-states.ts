import { Fn, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { statePath } from '../waiters';
import { type SubmitOptions, submitTargetOf } from './wait-options';

/** A wildcard resource a host's role is granted by design, with why: a cdk-nag finding to acknowledge. */
export interface GrantedFinding {
  /** The resource exactly as the statement has it (tokens and all). */
  resource: string;
  reason: string;
}

/** What submitting needs: the task, the host role's permission, and the finding it raises. */
export interface SubmitStates {
  task: sfn.CustomState;
  statement: iam.PolicyStatement;
  finding: GrantedFinding;
}

/**
 * The job definition's name, whatever the prop is: a construct's own name attribute, the name in a literal
 * name, `name:revision` or ARN, or (for any other token, which must resolve to an ARN) the name cut out of
 * it with Fn::Split/Fn::Select when CloudFormation resolves it.
 */
function definitionNameOf(submit: SubmitOptions, arnOrName: string): string {
  if (typeof submit.jobDefinition !== 'string') return submit.jobDefinition.jobDefinitionName;
  if (Token.isUnresolved(arnOrName)) {
    // arn:<partition>:batch:<region>:<account>:job-definition/<name>:<revision>
    return Fn.select(0, Fn.split(':', Fn.select(1, Fn.split('/', arnOrName))));
  }
  return arnOrName.replace(/^arn:[^:]+:batch:[^:]*:[^:]*:job-definition\//, '').split(':')[0] as string;
}

/** The queue's ARN: a construct's or token's as it is (a token must resolve to an ARN), a name's built. */
function queueArnOf(scope: Construct, nameOrArn: string): string {
  if (Token.isUnresolved(nameOrArn) || nameOrArn.startsWith('arn:')) return nameOrArn;
  return Stack.of(scope).formatArn({ service: 'batch', resource: 'job-queue', resourceName: nameOrArn });
}

/**
 * The `Submit Job` task (Step Functions' Batch integration, request-response: the poller waits, and a
 * re-run attaches to the job by its name) and what the host's role needs: SubmitJob on the one job
 * definition (any revision) and the one queue. Its failures go back to the poller (the fragment adds the
 * Catch): a SubmitJob that failed in flight may have submitted, so it is never simply retried.
 */
export function submitStates(scope: Construct, submit: SubmitOptions): SubmitStates {
  const stack = Stack.of(scope);
  const { jobDefinition, jobQueue } = submitTargetOf(submit);
  const definitionName = definitionNameOf(submit, jobDefinition);
  const anyRevision = stack.formatArn({
    service: 'batch',
    resource: 'job-definition',
    resourceName: `${definitionName}:*`,
  });
  const statement = new iam.PolicyStatement({
    sid: 'SubmitTheWaitedJob',
    actions: ['batch:SubmitJob'],
    resources: [
      anyRevision,
      stack.formatArn({ service: 'batch', resource: 'job-definition', resourceName: definitionName }),
      queueArnOf(scope, jobQueue),
    ],
  });
  const task = new sfn.CustomState(scope, 'Submit Job', {
    stateJson: {
      Type: 'Task',
      Comment: 'No job has the business key yet (or only a failed one, with resubmitFailed): submit it.',
      Resource: `arn:${stack.partition}:states:::batch:submitJob`,
      Parameters: {
        'JobName.$': `${statePath('submitRequest')}.jobName`,
        JobDefinition: jobDefinition,
        JobQueue: jobQueue,
        'Parameters.$': `${statePath('submitRequest')}.parameters`,
      },
      ResultSelector: { 'jobId.$': '$.JobId' },
      ResultPath: statePath('submitted'),
    },
  });
  return {
    task,
    statement,
    finding: {
      resource: anyRevision,
      reason: 'SubmitJob on any revision of the one job definition the waiter submits.',
    },
  };
}
