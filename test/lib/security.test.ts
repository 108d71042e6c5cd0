import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { StepWaitStack } from '../../lib/stepwait-stack';

/** The app of bin/app.ts (the example stack), plus every optional feature, so each permission is checked. */
function appWithEveryStack(): { app: App; example: StepWaitStack; everything: StepWaitStack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const example = new StepWaitStack(app, 'StepWaitStack');
  const everything = new StepWaitStack(app, 'EveryFeature', {
    waiter: {
      submit: { jobDefinition: 'etl-job', jobQueue: 'etl-queue' },
      cancelJobOnTimeout: true,
      tracing: true,
    },
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
 * Reviewed by hand: the poller reads Batch status and writes its own logs; each machine invokes only the
 * poller, submits only the one job definition (any revision) to the one queue, terminates only jobs, and the
 * main machine starts only its segment machine (with the events rule .sync needs); the schedule's role starts
 * only the main machine and writes to its dead-letter queue; the example pipeline starts only the waiter and
 * its segment machine. Log delivery and X-Ray support no resource but "*".
 */
const EXPECTED_STATEMENTS: string[] = [
  'BatchJobWaiterPollerRoleDefaultPolicy: logs:CreateLogStream,logs:PutLogEvents on {"Fn::GetAtt":["BatchJobWaiterPollerLogs","Arn"]}',
  'BatchJobWaiterPollerRoleDefaultPolicy: batch:DescribeJobs,batch:ListJobs on "*"',
  'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy: lambda:InvokeFunction on {"Fn::GetAtt":["BatchJobWaiterPoller","Arn"]} + {"Fn::Join":["",[{"Fn::GetAtt":["BatchJobWaiterPoller","Arn"]},":*"]]}',
  'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy: batch:terminateJob on {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job/*"]]}',
  'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy: logs:CreateLogDelivery,logs:GetLogDelivery,logs:UpdateLogDelivery,logs:DeleteLogDelivery,logs:ListLogDeliveries,logs:PutResourcePolicy,logs:DescribeResourcePolicies,logs:DescribeLogGroups on "*"',
  'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy: xray:PutTraceSegments,xray:PutTelemetryRecords,xray:GetSamplingRules,xray:GetSamplingTargets on "*"',
  'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy: batch:SubmitJob on {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job-definition/etl-job:*"]]} + {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job-definition/etl-job"]]} + {"Fn::Join":["",["arn:",<Partition>,":batch:",<Region>,":",<AccountId>,":job-queue/etl-queue"]]}',
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
