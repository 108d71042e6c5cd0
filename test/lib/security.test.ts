import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { acknowledgeWildcard, functionVersionsArn } from '../../lib/acknowledgements';
import { JobWaiter } from '../../lib/job-waiter';
import { StepWaitStack } from '../../lib/stepwait-stack';
import { JobWaitFragment } from '../../lib/wait-fragment';

/** The app of bin/app.ts (the example stack), plus every optional feature, so each permission is checked. */
function appWithEveryStack(): { app: App; example: StepWaitStack; everything: StepWaitStack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const example = new StepWaitStack(app, 'StepWaitStack');
  const everything = new StepWaitStack(app, 'EveryFeature', {
    waiter: {
      submit: { jobDefinition: 'etl-job', jobQueue: 'etl-queue' },
      cancelJobOnTimeout: true,
      tracing: true,
      wakeUp: 'events',
    },
    callbacks: true,
    registry: true,
  });
  return { app, example, everything };
}

interface Acknowledgment {
  path: string;
  rule: string;
  reason: string;
}

function acknowledgmentsIn(scope: IConstruct): Acknowledgment[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([key, reason]) => ({
          path: construct.node.path,
          rule: key.replace(/^Annotation::/, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  it('pass on every stack of the app, with no finding left unacknowledged', () => {
    const { app } = appWithEveryStack();
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('acknowledge findings only per resource, wildcards by the exact resource, each with a reason', () => {
    const { app } = appWithEveryStack();
    const acknowledgments = acknowledgmentsIn(app);
    expect(acknowledgments.length).toBeGreaterThan(0);
    for (const { path, rule, reason } of acknowledgments) {
      // Never on an app or a stack: that would waive the rule for everything in it.
      expect(
        Stack.isStack(app.node.findChild(path.split('/')[0] as string)) && path.split('/').length > 1,
        path,
      ).toBe(true);
      expect(reason.length, `${path} ${rule}`).toBeGreaterThan(20);
      if (rule.startsWith('AwsSolutions-IAM5'))
        expect(rule, path).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
    }
  });

  it('acknowledge as many findings in the example stack as the README says', () => {
    const { example } = appWithEveryStack();
    const count = acknowledgmentsIn(example).length;
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const stated = /cdk-nag: (\d+) acknowledged findings/.exec(readme);
    expect(stated?.[1]).toBeDefined();
    expect(count).toBe(Number(stated?.[1]));
  });
});

/** An explicit environment: cdk-nag then renders the literal region and account inside every ARN. */
const ENV = { account: '111122223333', region: 'eu-west-1' };

/** Every finding cdk-nag reports for `scope`, as `<rule> on <construct path>`, sorted. */
function findingsIn(scope: IConstruct): string[] {
  return new AwsSolutionsChecks(scope)
    .validateScope(scope)
    .violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} on ${resource.constructPath}`),
    )
    .sort();
}

/**
 * What the user adds to a stack besides stepwait, with findings of its own: a role allowed the very
 * resources stepwait's roles acknowledge (TerminateJob on every job, DescribeJobs on "*"), so a finding
 * acknowledged on stepwait's roles is still reported on anyone else's. `regionAndAccount` is how cdk-nag
 * renders them in this stack's ARNs. Returns the findings it must raise.
 */
function addUserRole(stack: Stack, regionAndAccount: string): string[] {
  const role = new iam.Role(stack, 'UserRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['batch:TerminateJob'],
      resources: [stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
    }),
  );
  role.addToPolicy(new iam.PolicyStatement({ actions: ['batch:DescribeJobs'], resources: ['*'] }));
  const path = `${stack.node.id}/UserRole/DefaultPolicy/Resource`;
  return [
    `AwsSolutions-IAM5[Resource::*] on ${path}`,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:${regionAndAccount}:job/*] on ${path}`,
  ];
}

/** How cdk-nag renders the region and account inside an ARN of an env-agnostic stack, and of an ENV one. */
const AGNOSTIC_ARN_ENV = '<AWS::Region>:<AWS::AccountId>';
const SPECIFIC_ARN_ENV = `${ENV.region}:${ENV.account}`;

/** The example app's stacks with every feature of the waiter on, plus a user's role, in `env` or none. */
function everyFeatureStack(id: string, props: StackProps, arnEnv: string): { app: App; user: string[] } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new StepWaitStack(app, id, {
    ...props,
    waiter: {
      submit: { jobDefinition: 'etl-job', jobQueue: 'etl-queue' },
      cancelJobOnTimeout: true,
      tracing: true,
    },
  });
  return { app, user: addUserRole(stack, arnEnv) };
}

/**
 * A user's own stack: a JobWaiter, and the user's machine hosting a JobWaitFragment that submits, cancels its
 * job on timeout and hands long waits over to a segment machine of its own. The user's machine keeps its own
 * findings (no logging, no tracing: SF1, SF2), which must still be reported.
 */
function fragmentHostStack(props: StackProps, arnEnv: string): { app: App; user: string[] } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'UserStack', props);
  const waiter = new JobWaiter(stack, 'Waiter');
  const load = new JobWaitFragment(stack, 'LoadWait', {
    poller: waiter.pollerFunction,
    statePrefix: 'Load: ',
    submit: { jobDefinition: 'load-job', jobQueue: 'load-queue' },
    cancelJobOnTimeout: true,
    ownSegmentMachine: true,
    timeout: Duration.hours(2),
  });
  const machine = new sfn.StateMachine(stack, 'Pipeline', {
    definitionBody: sfn.DefinitionBody.fromChainable(load),
  });
  load.grantTo(machine);
  return {
    app,
    user: [
      'AwsSolutions-SF1 on UserStack/Pipeline/Resource',
      'AwsSolutions-SF2 on UserStack/Pipeline/Resource',
      ...addUserRole(stack, arnEnv),
    ],
  };
}

describe('cdk-nag: stepwait leaves no finding of its own, wherever it is deployed', () => {
  it('in an env-agnostic stack, while the user’s own findings are still reported', () => {
    const { app, user } = everyFeatureStack('Agnostic', {}, AGNOSTIC_ARN_ENV);
    expect(findingsIn(app)).toEqual(user.sort());
  });

  it('in a stack with an explicit env, whose ARNs cdk-nag renders with the literal region and account', () => {
    const { app, user } = everyFeatureStack('Specific', { env: ENV }, SPECIFIC_ARN_ENV);
    expect(findingsIn(app)).toEqual(user.sort());
  });

  it('in a user’s machine hosting a fragment (submit, cancelJobOnTimeout, ownSegmentMachine), env-agnostic', () => {
    const { app, user } = fragmentHostStack({}, AGNOSTIC_ARN_ENV);
    expect(findingsIn(app)).toEqual(user.sort());
  });

  it('in a user’s machine hosting a fragment, in a stack with an explicit env', () => {
    const { app, user } = fragmentHostStack({ env: ENV }, SPECIFIC_ARN_ENV);
    expect(findingsIn(app)).toEqual(user.sort());
  });

  it('acknowledges a wildcard on another stack’s resource as cdk-nag sees it at synth (an import)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const shared = new Stack(app, 'Shared', { env: ENV });
    const fn = new lambda.Function(shared, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      role: new iam.Role(shared, 'FnRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }),
    });
    Validations.of(fn).acknowledge({ id: 'AwsSolutions-L1', reason: 'Not what this test is about.' });
    const user = new Stack(app, 'User', { env: ENV });
    const role = new iam.Role(user, 'Invoker', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
    });
    fn.grantInvoke(role);
    acknowledgeWildcard(
      role,
      'Invokes the function and its versions, as CDK grants it.',
      functionVersionsArn(fn),
    );
    // The tree as built: a reference across stacks is still a Fn::GetAtt.
    expect(findingsIn(user).filter((finding) => finding.startsWith('AwsSolutions-IAM5'))).toEqual([]);
    // As synthesized, where cdk-nag 3 runs (a validation plugin): the reference is now an import.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const failure = (() => {
      try {
        app.synth();
        return '';
      } catch (error) {
        return String(error);
      }
    })();
    expect(failure).not.toContain('AwsSolutions-IAM5');
    expect(findingsIn(user).filter((finding) => finding.startsWith('AwsSolutions-IAM5'))).toEqual([]);
    expect(
      JSON.stringify(Template.fromStack(user).findResources('AWS::IAM::Policy')).includes('Fn::ImportValue'),
    ).toBe(true);
  });
});

describe('least privilege: every IAM statement of the app', () => {
  it('is exactly this list, statement by statement', () => {
    const { app, everything } = appWithEveryStack();
    app.synth();
    const template = Template.fromStack(everything).toJSON() as {
      Resources: Record<
        string,
        { Type: string; Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }
      >;
    };
    const lines = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
      .flatMap(([id, resource]) =>
        resource.Properties.PolicyDocument.Statement.map((statement) => {
          const resources = [statement.Resource].flat().map((r) =>
            JSON.stringify(r)
              .replace(/[0-9A-F]{8}\b/g, '')
              .replace(/\{"Ref":"AWS::(Partition|Region|AccountId)"\}/g, '<$1>'),
          );
          return `${id.replace(/[0-9A-F]{8}$/, '')}: ${[statement.Action].flat().join(',')} on ${resources.join(' + ')}`;
        }),
      );
    expect(lines).toEqual(EXPECTED_STATEMENTS);
  });
});

/**
 * Reviewed by hand: the poller reads Batch status, writes its own logs, and (event mode) puts and deletes park
 * records and wakes its own machines' parked tasks; the waker reads and deletes park records, drains its
 * queue, and wakes the waiter's machines only; the sweeper scans and deletes park records, reads Batch job
 * status and wakes the waiter's machines only; the callback function reads the signing keys, queries, puts
 * (its rate record) and deletes park records, and shares the poller's policy that wakes its machines; each machine invokes only the
 * poller, submits only the one job definition (any revision) to the one queue, terminates only jobs, and the
 * main machine starts only its segment machine (with the events rule .sync needs); the schedule's role starts
 * only the main machine and writes to its dead-letter queue; the example pipeline starts only the waiter and
 * its segment machine; the registry API reads and writes its table (and queries its indexes), starts and
 * describes only the waiter's main machine, stops and describes only its two machines' executions and
 * terminates jobs (only those a wait submitted, a run-time check); the end recorder UpdateItems the
 * registry table and sends the events it failed to its dead-letter queue; the poller only UpdateItems it. Log delivery and X-Ray support no resource but "*".
 */
const EXPECTED_STATEMENTS: string[] = [
  'StepWaitWakeUpsWakerRoleDefaultPolicy: logs:CreateLogStream,logs:PutLogEvents on {"Fn::GetAtt":["StepWaitWakeUpsWakerLogs","Arn"]}',
  'StepWaitWakeUpsWakerRoleDefaultPolicy: dynamodb:Query,dynamodb:DeleteItem on {"Fn::GetAtt":["StepWaitWakeUpsParkTable","Arn"]}',
  'StepWaitWakeUpsWakerRoleDefaultPolicy: sqs:ReceiveMessage,sqs:ChangeMessageVisibility,sqs:GetQueueUrl,sqs:DeleteMessage,sqs:GetQueueAttributes on {"Fn::GetAtt":["StepWaitWakeUpsQueue","Arn"]}',
  'StepWaitWakeUpsWakerRoleDefaultPolicy: states:SendTaskSuccess on {"Ref":"BatchJobWaiterSegmentStateMachine"}',
  'StepWaitWakeUpsWakerRoleDefaultPolicy: states:SendTaskSuccess on {"Ref":"BatchJobWaiterStateMachine"}',
  'StepWaitWakeUpsSweeperRoleDefaultPolicy: logs:CreateLogStream,logs:PutLogEvents on {"Fn::GetAtt":["StepWaitWakeUpsSweeperLogs","Arn"]}',
  'StepWaitWakeUpsSweeperRoleDefaultPolicy: dynamodb:Scan,dynamodb:DeleteItem on {"Fn::GetAtt":["StepWaitWakeUpsParkTable","Arn"]}',
  'StepWaitWakeUpsSweeperRoleDefaultPolicy: batch:DescribeJobs on "*"',
  'StepWaitWakeUpsSweeperRoleDefaultPolicy: states:SendTaskSuccess on {"Ref":"BatchJobWaiterSegmentStateMachine"}',
  'StepWaitWakeUpsSweeperRoleDefaultPolicy: states:SendTaskSuccess on {"Ref":"BatchJobWaiterStateMachine"}',
  'StepWaitWakeUpsCallbackRoleDefaultPolicy: logs:CreateLogStream,logs:PutLogEvents on {"Fn::GetAtt":["StepWaitWakeUpsCallbackLogs","Arn"]}',
  'StepWaitWakeUpsCallbackRoleDefaultPolicy: secretsmanager:GetSecretValue,secretsmanager:DescribeSecret on {"Ref":"StepWaitWakeUpsCallbackKeys"}',
  'StepWaitWakeUpsCallbackRoleDefaultPolicy: dynamodb:Query,dynamodb:PutItem,dynamodb:DeleteItem on {"Fn::GetAtt":["StepWaitWakeUpsParkTable","Arn"]}',
  'StepWaitRegistryApiRoleDefaultPolicy: logs:CreateLogStream,logs:PutLogEvents on {"Fn::GetAtt":["StepWaitRegistryApiLogs","Arn"]}',
  'StepWaitRegistryApiRoleDefaultPolicy: dynamodb:GetItem,dynamodb:PutItem,dynamodb:UpdateItem,dynamodb:Query on {"Fn::GetAtt":["StepWaitRegistryTable","Arn"]} + {"Fn::Join":["",[{"Fn::GetAtt":["StepWaitRegistryTable","Arn"]},"/index/*"]]}',
  'StepWaitRegistryApiRoleDefaultPolicy: states:StartExecution,states:DescribeStateMachine on {"Ref":"BatchJobWaiterStateMachine"}',
  'StepWaitRegistryApiRoleDefaultPolicy: states:DescribeExecution,states:StopExecution on {"Fn::Join":["",["arn:",<Partition>,":states:",<Region>,":",<AccountId>,":execution:",{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BatchJobWaiterStateMachine"}]}]},":*"]]} + {"Fn::Join":["",["arn:",<Partition>,":states:",<Region>,":",<AccountId>,":execution:",{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BatchJobWaiterSegmentStateMachine"}]}]},":*"]]}',
  'StepWaitRegistryApiRoleDefaultPolicy: batch:TerminateJob on {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job/*"]]}',
  'StepWaitRegistryEndRecorderRoleDefaultPolicy: logs:CreateLogStream,logs:PutLogEvents on {"Fn::GetAtt":["StepWaitRegistryEndRecorderLogs","Arn"]}',
  'StepWaitRegistryEndRecorderRoleDefaultPolicy: dynamodb:UpdateItem on {"Fn::GetAtt":["StepWaitRegistryTable","Arn"]}',
  'StepWaitRegistryEndRecorderRoleDefaultPolicy: sqs:SendMessage,sqs:GetQueueAttributes,sqs:GetQueueUrl on {"Fn::GetAtt":["StepWaitRegistryEndsDeadLetterQueue","Arn"]}',
  'BatchJobWaiterPollerRoleDefaultPolicy: logs:CreateLogStream,logs:PutLogEvents on {"Fn::GetAtt":["BatchJobWaiterPollerLogs","Arn"]}',
  'BatchJobWaiterPollerRoleDefaultPolicy: batch:DescribeJobs,batch:ListJobs on "*"',
  'BatchJobWaiterPollerRoleDefaultPolicy: dynamodb:PutItem,dynamodb:DeleteItem on {"Fn::GetAtt":["StepWaitWakeUpsParkTable","Arn"]}',
  'BatchJobWaiterPollerRoleDefaultPolicy: secretsmanager:GetSecretValue,secretsmanager:DescribeSecret on {"Ref":"StepWaitWakeUpsCallbackKeys"}',
  'BatchJobWaiterPollerRoleDefaultPolicy: dynamodb:UpdateItem on {"Fn::GetAtt":["StepWaitRegistryTable","Arn"]}',
  'BatchJobWaiterSegmentPollerWakes1: states:SendTaskSuccess on {"Ref":"BatchJobWaiterSegmentStateMachine"}',
  'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy: lambda:InvokeFunction on {"Fn::GetAtt":["BatchJobWaiterPoller","Arn"]} + {"Fn::Join":["",[{"Fn::GetAtt":["BatchJobWaiterPoller","Arn"]},":*"]]}',
  'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy: batch:terminateJob on {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job/*"]]}',
  'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy: logs:CreateLogDelivery,logs:GetLogDelivery,logs:UpdateLogDelivery,logs:DeleteLogDelivery,logs:ListLogDeliveries,logs:PutResourcePolicy,logs:DescribeResourcePolicies,logs:DescribeLogGroups on "*"',
  'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy: xray:PutTraceSegments,xray:PutTelemetryRecords,xray:GetSamplingRules,xray:GetSamplingTargets on "*"',
  'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy: batch:SubmitJob on {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job-definition/etl-job:*"]]} + {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job-definition/etl-job"]]} + {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job-queue/etl-queue"]]}',
  'BatchJobWaiterWaitPollerWakes1: states:SendTaskSuccess on {"Ref":"BatchJobWaiterStateMachine"}',
  'BatchJobWaiterStateMachineRoleDefaultPolicy: lambda:InvokeFunction on {"Fn::GetAtt":["BatchJobWaiterPoller","Arn"]} + {"Fn::Join":["",[{"Fn::GetAtt":["BatchJobWaiterPoller","Arn"]},":*"]]}',
  'BatchJobWaiterStateMachineRoleDefaultPolicy: states:DescribeExecution on {"Fn::Join":["",["arn:",<Partition>,":states:",<Region>,":",<AccountId>,":execution:",{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BatchJobWaiterSegmentStateMachine"}]}]},"*"]]}',
  'BatchJobWaiterStateMachineRoleDefaultPolicy: states:StartExecution on {"Ref":"BatchJobWaiterSegmentStateMachine"}',
  'BatchJobWaiterStateMachineRoleDefaultPolicy: states:DescribeExecution,states:StopExecution on {"Fn::Join":["",["arn:",<Partition>,":states:",<Region>,":",<AccountId>,":execution:",{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BatchJobWaiterSegmentStateMachine"}]}]},"*"]]}',
  'BatchJobWaiterStateMachineRoleDefaultPolicy: events:PutTargets,events:PutRule,events:DescribeRule on {"Fn::Join":["",["arn:",<Partition>,":events:",<Region>,":",<AccountId>,":rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"]]}',
  'BatchJobWaiterStateMachineRoleDefaultPolicy: batch:terminateJob on {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job/*"]]}',
  'BatchJobWaiterStateMachineRoleDefaultPolicy: logs:CreateLogDelivery,logs:GetLogDelivery,logs:UpdateLogDelivery,logs:DeleteLogDelivery,logs:ListLogDeliveries,logs:PutResourcePolicy,logs:DescribeResourcePolicies,logs:DescribeLogGroups on "*"',
  'BatchJobWaiterStateMachineRoleDefaultPolicy: xray:PutTraceSegments,xray:PutTelemetryRecords,xray:GetSamplingRules,xray:GetSamplingTargets on "*"',
  'BatchJobWaiterStateMachineRoleDefaultPolicy: batch:SubmitJob on {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job-definition/etl-job:*"]]} + {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job-definition/etl-job"]]} + {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job-queue/etl-queue"]]}',
  'SchedulerRoleForTarget800bddDefaultPolicy: states:StartExecution on {"Ref":"BatchJobWaiterStateMachine"}',
  'SchedulerRoleForTarget800bddDefaultPolicy: sqs:SendMessage on {"Fn::GetAtt":["BatchJobWaiterScheduleDeadLetterQueue","Arn"]}',
  'EtlPipelineLoadWaitSegmentStateMachineRoleDefaultPolicy: lambda:InvokeFunction on {"Fn::GetAtt":["BatchJobWaiterPoller","Arn"]} + {"Fn::Join":["",[{"Fn::GetAtt":["BatchJobWaiterPoller","Arn"]},":*"]]}',
  'EtlPipelineLoadWaitSegmentStateMachineRoleDefaultPolicy: logs:CreateLogDelivery,logs:GetLogDelivery,logs:UpdateLogDelivery,logs:DeleteLogDelivery,logs:ListLogDeliveries,logs:PutResourcePolicy,logs:DescribeResourcePolicies,logs:DescribeLogGroups on "*"',
  'EtlPipelineStateMachineRoleDefaultPolicy: states:StartExecution on {"Ref":"BatchJobWaiterStateMachine"}',
  'EtlPipelineStateMachineRoleDefaultPolicy: states:DescribeExecution,states:StopExecution on {"Fn::Join":["",["arn:",<Partition>,":states:",<Region>,":",<AccountId>,":execution:",{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BatchJobWaiterStateMachine"}]}]},"*"]]}',
  'EtlPipelineStateMachineRoleDefaultPolicy: events:PutTargets,events:PutRule,events:DescribeRule on {"Fn::Join":["",["arn:",<Partition>,":events:",<Region>,":",<AccountId>,":rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"]]}',
  'EtlPipelineStateMachineRoleDefaultPolicy: lambda:InvokeFunction on {"Fn::GetAtt":["BatchJobWaiterPoller","Arn"]} + {"Fn::Join":["",[{"Fn::GetAtt":["BatchJobWaiterPoller","Arn"]},":*"]]}',
  'EtlPipelineStateMachineRoleDefaultPolicy: states:DescribeExecution on {"Fn::Join":["",["arn:",<Partition>,":states:",<Region>,":",<AccountId>,":execution:",{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"EtlPipelineLoadWaitSegmentStateMachine"}]}]},"*"]]}',
  'EtlPipelineStateMachineRoleDefaultPolicy: states:StartExecution on {"Ref":"EtlPipelineLoadWaitSegmentStateMachine"}',
  'EtlPipelineStateMachineRoleDefaultPolicy: states:DescribeExecution,states:StopExecution on {"Fn::Join":["",["arn:",<Partition>,":states:",<Region>,":",<AccountId>,":execution:",{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"EtlPipelineLoadWaitSegmentStateMachine"}]}]},"*"]]}',
];
