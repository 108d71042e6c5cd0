import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, ArnFormat, type CfnElement, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE, WAITER_DIMENSION, WaitMetric } from '../../lambdas/wait-metrics';
import { JobWaiter } from '../../lib/job-waiter';

/** Bundling is skipped: these tests read the template, not the Lambda asset. */
function newStack(props: StackProps = {}): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Ops', props);
}

function operatorRole(stack: Stack): iam.Role {
  return new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
}

/** The statements of the operator role's policy, as synthesized. */
function operatorStatements(stack: Stack): unknown[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Operator') }] },
  });
  expect(Object.keys(policies)).toHaveLength(1);
  return (Object.values(policies)[0] as { Properties: { PolicyDocument: { Statement: unknown[] } } })
    .Properties.PolicyDocument.Statement;
}

/** A machine's executions as IAM names them: `arn:...:execution:<machine name>:*`. */
function executionsOf(stack: Stack, machine: { node: { defaultChild?: unknown } }): unknown {
  const logicalId = stack.getLogicalId(machine.node.defaultChild as CfnElement);
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':states:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':execution:',
        { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: logicalId }] }] },
        ':*',
      ],
    ],
  };
}

describe('grants for operators (what `stepwait status`, `list` and `cancel` call)', () => {
  it('grantRead: ListExecutions on the machine, DescribeExecution and GetExecutionHistory on both machines’ executions', () => {
    const stack = newStack();
    const waiter = new JobWaiter(stack, 'Waiter');
    waiter.grantRead(operatorRole(stack));
    const machine = stack.getLogicalId(waiter.stateMachine.node.defaultChild as CfnElement);
    expect(operatorStatements(stack)).toEqual([
      { Effect: 'Allow', Action: 'states:ListExecutions', Resource: { Ref: machine } },
      {
        Effect: 'Allow',
        Action: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        Resource: [executionsOf(stack, waiter.stateMachine), executionsOf(stack, waiter.segmentStateMachine)],
      },
    ]);
  });

  it('grantCancel: StopExecution on the waiter’s executions only, reading them to find the jobs', () => {
    const stack = newStack();
    const waiter = new JobWaiter(stack, 'Waiter');
    waiter.grantCancel(operatorRole(stack));
    expect(operatorStatements(stack)).toEqual([
      {
        Effect: 'Allow',
        Action: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        Resource: [executionsOf(stack, waiter.stateMachine), executionsOf(stack, waiter.segmentStateMachine)],
      },
      { Effect: 'Allow', Action: 'states:StopExecution', Resource: executionsOf(stack, waiter.stateMachine) },
    ]);
  });

  it('grantCancel with terminateJobs: TerminateJob on job ARNs too, for --terminate-job', () => {
    const stack = newStack();
    const waiter = new JobWaiter(stack, 'Waiter');
    waiter.grantCancel(operatorRole(stack), { terminateJobs: true });
    expect(operatorStatements(stack).at(-1)).toEqual({
      Effect: 'Allow',
      Action: 'batch:TerminateJob',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':batch:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':job/*',
          ],
        ],
      },
    });
  });

  it('every AWS call of the account CLI is granted by grantStartExecution, grantRead or grantCancel', () => {
    const stack = newStack();
    const waiter = new JobWaiter(stack, 'Waiter');
    const role = operatorRole(stack);
    waiter.grantStartExecution(role);
    waiter.grantRead(role);
    waiter.grantCancel(role, { terminateJobs: true });
    const granted = new Set(
      operatorStatements(stack).flatMap((statement) =>
        [(statement as { Action: string | string[] }).Action].flat(),
      ),
    );
    const prefixes: Record<string, string> = {
      sfn: 'states',
      batch: 'batch',
      cloudformation: 'cloudformation',
    };
    const folder = join(__dirname, '..', '..', 'bin', 'cli', 'account');
    const called = new Set<string>();
    for (const file of readdirSync(folder).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(join(folder, file), 'utf8');
      for (const [, names, client] of source.matchAll(
        /import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-(\w+)'/g,
      )) {
        for (const name of (names as string).split(',').map((part) => part.trim())) {
          const command = /^(\w+)Command$/.exec(name)?.[1];
          if (command !== undefined && source.includes(`new ${name}(`))
            called.add(`${prefixes[client as string]}:${command}`);
        }
      }
    }
    expect([...called].sort()).toEqual([
      'batch:TerminateJob',
      // Only to find the machine from a stack's output (`--stack`); `--state-machine-arn` needs none.
      'cloudformation:DescribeStacks',
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:ListExecutions',
      'states:StartExecution',
      'states:StopExecution',
    ]);
    expect([...called].filter((action) => !granted.has(action))).toEqual(['cloudformation:DescribeStacks']);
  });

  for (const [what, props, arnEnv] of [
    ['env-agnostic', {}, '<AWS::Region>:<AWS::AccountId>'],
    [
      'with an explicit env',
      { env: { account: '111122223333', region: 'eu-west-1' } },
      'eu-west-1:111122223333',
    ],
  ] as const) {
    it(`leaves no cdk-nag finding of its own on the grantee (${what}), only the grantee’s own`, () => {
      const stack = newStack(props);
      const waiter = new JobWaiter(stack, 'Waiter');
      const role = operatorRole(stack);
      waiter.grantRead(role);
      waiter.grantCancel(role, { terminateJobs: true });
      // The operator's own wildcard, on the same kind of resource: still reported.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution'],
          resources: [
            stack.formatArn({
              service: 'states',
              resource: 'execution',
              resourceName: 'other:*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      );
      const findings = new AwsSolutionsChecks(stack)
        .validateScope(stack)
        .violations.flatMap((violation) =>
          violation.violatingResources.map(
            (resource) => `${violation.ruleName} on ${resource.constructPath}`,
          ),
        );
      expect(findings).toEqual([
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${arnEnv}:execution:other:*] on Ops/Operator/DefaultPolicy/Resource`,
      ]);
    });
  }
});

describe('metrics for dashboards and alarms', () => {
  const stack = newStack();
  const waiter = new JobWaiter(stack, 'Waiter', { waiterName: 'nightly-etl' });
  const metrics: Record<string, cloudwatch.Metric> = {
    started: waiter.metricStarted(),
    succeeded: waiter.metricSucceeded(),
    failed: waiter.metricFailed(),
    timedOut: waiter.metricTimedOut(),
    detectionLatency: waiter.metricDetectionLatency(),
    throttledStatusCalls: waiter.metricThrottledStatusCalls(),
    pollsPerWait: waiter.metricPollsPerWait(),
    p90Latency: waiter.metricDetectionLatency({ statistic: 'p90', period: Duration.minutes(1) }),
  };
  // Each metric as an alarm renders it: namespace, name, dimensions, statistic and period.
  const alarmIds = Object.fromEntries(
    Object.entries(metrics).map(([name, metric]) => {
      const alarm = metric.createAlarm(stack, `${name}Alarm`, { threshold: 1, evaluationPeriods: 1 });
      return [name, stack.getLogicalId(alarm.node.defaultChild as CfnElement)];
    }),
  );
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Properties: Record<string, unknown> }>;
  };
  const rendered = (name: string): Record<string, unknown> => {
    const properties = template.Resources[alarmIds[name] as string]?.Properties ?? {};
    const { Namespace, MetricName, Dimensions, Statistic, ExtendedStatistic, Period } = properties;
    return { Namespace, MetricName, Dimensions, Statistic: Statistic ?? ExtendedStatistic, Period };
  };
  const machine = stack.getLogicalId(waiter.stateMachine.node.defaultChild as CfnElement);
  const states = (name: string) => ({
    Namespace: 'AWS/States',
    MetricName: name,
    Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machine } }],
    Statistic: 'Sum',
    Period: 300,
  });
  const poller = (name: string, statistic: string) => ({
    Namespace: 'StepWait',
    MetricName: name,
    Dimensions: [{ Name: 'Waiter', Value: 'nightly-etl' }],
    Statistic: statistic,
    Period: 300,
  });

  it('waits started, succeeded and failed: Step Functions’ own metrics of the main machine', () => {
    expect(rendered('started')).toEqual(states('ExecutionsStarted'));
    expect(rendered('succeeded')).toEqual(states('ExecutionsSucceeded'));
    expect(rendered('failed')).toEqual(states('ExecutionsFailed'));
  });

  it('timed out, detection latency, throttled status calls, polls per wait: the poller’s, by Waiter', () => {
    expect(rendered('timedOut')).toEqual(poller('WaitsTimedOut', 'Sum'));
    expect(rendered('detectionLatency')).toEqual(poller('DetectionLatency', 'Average'));
    expect(rendered('throttledStatusCalls')).toEqual(poller('StatusCallsThrottled', 'Sum'));
    expect(rendered('pollsPerWait')).toEqual(poller('PollsPerWait', 'Average'));
  });

  it('take the usual MetricOptions', () => {
    expect(rendered('p90Latency')).toEqual({ ...poller('DetectionLatency', 'p90'), Period: 60 });
  });

  it('name what the poller emits: the same namespace, dimension and metric names', () => {
    expect([METRICS_NAMESPACE, WAITER_DIMENSION]).toEqual(['StepWait', 'Waiter']);
    expect(
      ['timedOut', 'detectionLatency', 'throttledStatusCalls', 'pollsPerWait'].map(
        (name) => rendered(name).MetricName,
      ),
    ).toEqual([
      WaitMetric.TimedOut,
      WaitMetric.DetectionLatency,
      WaitMetric.ThrottledStatusCalls,
      WaitMetric.PollsPerWait,
    ]);
  });

  it('render on a dashboard', () => {
    const dashboardStack = newStack();
    const other = new JobWaiter(dashboardStack, 'Waiter');
    new cloudwatch.Dashboard(dashboardStack, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            left: [
              other.metricStarted(),
              other.metricSucceeded(),
              other.metricFailed(),
              other.metricTimedOut(),
            ],
            right: [
              other.metricDetectionLatency(),
              other.metricPollsPerWait(),
              other.metricThrottledStatusCalls(),
            ],
          }),
        ],
      ],
    });
    Template.fromStack(dashboardStack).resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('alarms that notify', () => {
  it('alarmActions: every alarm notifies the SNS topic, and alarms are created without alarms: true', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'OnCall');
    const waiter = new JobWaiter(stack, 'Waiter', { alarmActions: [new actions.SnsAction(topic)] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    const topicRef = { Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) };
    for (const [name, alarm] of [
      ['ExecutionsFailed', waiter.alarms?.failed],
      ['WaitsTimedOut', waiter.alarms?.timedOut],
      ['Errors', waiter.alarms?.pollerErrors],
    ] as const) {
      expect(alarm).toBeDefined();
      const id = stack.getLogicalId(alarm?.node.defaultChild as cloudwatch.CfnAlarm);
      template.hasResource('AWS::CloudWatch::Alarm', {
        Properties: Match.objectLike({ MetricName: name, AlarmActions: [topicRef] }),
      });
      expect(template.toJSON().Resources[id].Properties.AlarmActions).toEqual([topicRef]);
    }
  });

  it('alarms: true without actions: the alarms are exposed for the user to wire', () => {
    const stack = newStack();
    const waiter = new JobWaiter(stack, 'Waiter', { alarms: true });
    const topic = new sns.Topic(stack, 'Later');
    waiter.alarms?.timedOut.addOkAction(new actions.SnsAction(topic));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'WaitsTimedOut',
      OKActions: [{ Ref: Match.stringLikeRegexp('^Later') }],
    });
    expect(
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
        (alarm) => alarm.Properties.AlarmActions !== undefined,
      ),
    ).toEqual([]);
  });

  it('no alarms by default, and alarms: false with actions is refused by prop', () => {
    const stack = newStack();
    expect(new JobWaiter(stack, 'Quiet').alarms).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
    const topic = new sns.Topic(stack, 'OnCall');
    expect(
      () =>
        new JobWaiter(stack, 'Contradiction', {
          alarms: false,
          alarmActions: [new actions.SnsAction(topic)],
        }),
    ).toThrowError(/^Ops\/Contradiction: alarmActions: given 1 action\(s\), but alarms is false/);
  });
});
