import { App, CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { JobWaiter, type JobWaiterProps } from '../../lib/job-waiter';
import { PollerFunction } from '../../lib/poller-function';
import { StepWaitValidationError } from '../../lib/validation-error';
import { Delay, JobWaitFragment } from '../../lib/wait-fragment';
import { batchWaiterModel, DelayStrategyError } from '../../waiters';

/**
 * Mistakes that used to pass synth and fail only at run time, each reported at synth by construct path and
 * prop, with what is allowed and what came.
 */

/** Bundling is skipped: these tests read the template, not the Lambda asset. */
function newStack(id = 'App'): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), id);
}

/** The error a JobWaiter with `props` is refused with. */
function refusal(props: JobWaiterProps): StepWaitValidationError {
  try {
    new JobWaiter(newStack(), 'Waiter', props);
  } catch (error) {
    expect(error).toBeInstanceOf(StepWaitValidationError);
    return error as StepWaitValidationError;
  }
  throw new Error('the props were accepted');
}

const nightly = scheduler.ScheduleExpression.cron({ minute: '0', hour: '2' });

describe('props refused at synth, by construct path and prop', () => {
  const cases: [string, JobWaiterProps, string, RegExp][] = [
    [
      'a schedule input naming no job',
      { schedules: [{ schedule: nightly, input: {} as never }] },
      'schedules[0].input.jobId',
      /exactly one of jobId, jobIds, jobName/,
    ],
    [
      'a schedule input naming two',
      { schedules: [{ schedule: nightly, input: { jobId: 'a', jobName: 'b' } as never }] },
      'schedules[0].input.jobId+jobName',
      /exactly one of/,
    ],
    [
      'a schedule deadline above maxTimeout',
      {
        maxTimeout: Duration.days(2),
        schedules: [{ schedule: nightly, input: { jobId: 'a', timeoutSeconds: 3 * 86_400 } }],
      },
      'schedules[0].input.timeoutSeconds',
      /whole seconds from 1 to 172800, got 259200/,
    ],
    [
      'a schedule input setting scheduledTime, which stepwait adds',
      {
        schedules: [{ schedule: nightly, input: { jobNamePrefix: 'n-', jobQueue: 'q', scheduledTime: 'x' } }],
      },
      'schedules[0].input.scheduledTime',
      /stepwait adds the scheduled time/,
    ],
    [
      'an empty job definition',
      { submit: { jobDefinition: '', jobQueue: 'q' } },
      'submit.jobDefinition',
      /job definition name/,
    ],
    [
      'a queue name with spaces',
      { submit: { jobDefinition: 'etl', jobQueue: 'my queue' } },
      'submit.jobQueue',
      /job queue name .* or ARN, got "my queue"/,
    ],
    [
      'a timeout of 0 s',
      { timeout: Duration.seconds(0) },
      'timeout',
      /at least 1 second, got Duration.seconds\(0\)/,
    ],
    ['a timeout in fractions of a second', { timeout: Duration.millis(1_500) }, 'timeout', /whole seconds/],
    [
      'a timeout above maxTimeout',
      { timeout: Duration.days(30), maxTimeout: Duration.days(10) },
      'timeout',
      /at most maxTimeout \(864000 s\)/,
    ],
    ['a maxTimeout beyond a year', { maxTimeout: Duration.days(400) }, 'maxTimeout', /at most 364 days/],
    [
      'a stage the model lacks',
      { stages: ['JobExists', 'JobFinished'] },
      'stages',
      /waiters of the model .*got "JobFinished"/,
    ],
    [
      'delays of a stage it lacks',
      { delays: { JobDone: { kind: 'fixed', delay: 5 } } },
      'delays.JobDone',
      /a stage of this waiter/,
    ],
    [
      'a negative delay',
      { delays: { JobComplete: { kind: 'fixed', delay: -1 } } },
      'delays.JobComplete.delay',
      /whole seconds from 1/,
    ],
    ['an attempt limit of 0', { maxAttempts: { JobComplete: 0 } }, 'maxAttempts.JobComplete', /integer >= 1/],
    ['a poll budget too small to hand over', { pollBudget: 3 }, 'pollBudget', /from 10 to 2500, got 3/],
    [
      'a model whose waiter polls an operation the system does not implement',
      { waiterModel: batchWaiterModel.withOverrides({ JobRunning: { operation: 'ListJobs' } }) },
      'waiterModel.waiters.JobRunning.operation',
      /a status operation AWS Batch implements \(DescribeJobs\), got "ListJobs"/,
    ],
  ];
  for (const [what, props, prop, detail] of cases) {
    it(`refuses ${what}, naming ${prop}`, () => {
      const error = refusal(props);
      expect(error.prop).toBe(prop);
      expect(error.message.startsWith(`App/Waiter: ${prop}: `)).toBe(true);
      expect(error.detail).toMatch(detail);
    });
  }

  it('refuses continueIn pointing at an unrelated machine', () => {
    const stack = newStack();
    const poller = new PollerFunction(stack, 'Poller');
    const other = new sfn.StateMachine(stack, 'Other', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
    });
    expect(() => new JobWaitFragment(stack, 'Load', { poller, continueIn: other })).toThrowError(
      /^App\/Load: continueIn: expected a segment machine built by stepwait/,
    );
  });

  it('refuses at synth a fragment that submits in a host that never called grantTo', () => {
    const stack = newStack();
    const poller = new PollerFunction(stack, 'Poller');
    const load = new JobWaitFragment(stack, 'Load', {
      poller,
      submit: { jobDefinition: 'etl', jobQueue: 'etl-queue' },
    });
    new sfn.StateMachine(stack, 'Host', { definitionBody: sfn.DefinitionBody.fromChainable(load) });
    expect(() => Template.fromStack(stack)).toThrowError(
      /\[App\/Load\] submit: the host state machine was never given the fragment's permissions: call fragment.grantTo/,
    );
  });

  it('takes Delay helpers in Durations, refusing fractions by name', () => {
    expect(Delay.fixed(Duration.seconds(30), { jitter: Duration.seconds(10) })).toEqual({
      kind: 'fixed',
      delay: 30,
      jitter: 10,
    });
    expect(Delay.exponential(Duration.seconds(30), Duration.minutes(2))).toEqual({
      kind: 'exponential',
      minDelay: 30,
      maxDelay: 120,
    });
    expect(() => Delay.fixed(Duration.millis(1_500))).toThrowError(DelayStrategyError);
    expect(() => Delay.fixed(Duration.millis(1_500))).toThrowError(
      /^Delay.fixed.delay: expected whole seconds/,
    );
    expect(() => Delay.fixed(Duration.seconds(5), { jitter: Duration.seconds(6) })).toThrowError(
      /Delay.fixed.jitter: must be <= delay/,
    );
  });
});

describe('submit with aws-batch constructs and tokens', () => {
  function batchStack(): { stack: Stack; definition: batch.EcsJobDefinition; queue: batch.JobQueue } {
    const stack = newStack('Consumer');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
    const compute = new batch.FargateComputeEnvironment(stack, 'Compute', { vpc });
    const queue = new batch.JobQueue(stack, 'Queue', {
      computeEnvironments: [{ computeEnvironment: compute, order: 1 }],
    });
    const definition = new batch.EcsJobDefinition(stack, 'Etl', {
      container: new batch.EcsFargateContainerDefinition(stack, 'Container', {
        image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
        cpu: 0.25,
        memory: Size.mebibytes(512),
      }),
    });
    return { stack, definition, queue };
  }

  it('submits an EcsJobDefinition to a JobQueue, scoped to that definition (any revision) and that queue', () => {
    const { stack, definition, queue } = batchStack();
    const waiter = new JobWaiter(stack, 'Waiter', { submit: { jobDefinition: definition, jobQueue: queue } });
    const template = Template.fromStack(stack);
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const submit = policies
      .flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
      )
      .find((statement) => statement.Action === 'batch:SubmitJob');
    const resources = JSON.stringify(submit?.Resource);
    const definitionId = stack.getLogicalId(definition.node.defaultChild as batch.CfnJobDefinition);
    const queueId = stack.getLogicalId(queue.node.defaultChild as batch.CfnJobQueue);
    // The definition's name, cut from its ARN by CloudFormation, with any revision; and the queue itself.
    expect(resources).toContain(definitionId);
    expect(resources).toContain(':*');
    expect(resources).toContain(queueId);
    expect(resources).not.toContain('"*"');
    expect(waiter.fragment.pollerConfig.submit?.jobQueue).toMatch(/\$\{Token\[/);
  });

  it('leaves no cdk-nag finding of its own unacknowledged with those constructs', () => {
    const { stack, definition, queue } = batchStack();
    new JobWaiter(stack, 'Waiter', { submit: { jobDefinition: definition, jobQueue: queue } });
    const app = stack.node.root as App;
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const where = (violation: (typeof report.violations)[number]) =>
      violation.violatingResources.map((resource) => resource.constructPath ?? '');
    // The VPC and Batch resources of this test stack raise findings of their own: the pack really ran.
    expect(report.violations.flatMap(where).some((path) => path.startsWith('Consumer/Vpc'))).toBe(true);
    const ours = report.violations.filter((violation) =>
      where(violation).some((path) => path.startsWith('Consumer/Waiter')),
    );
    expect(ours.map((violation) => `${violation.ruleName}: ${where(violation).join(', ')}`)).toEqual([]);
  });

  it('takes a queue ARN given as a token, without refusing it at synth', () => {
    const stack = newStack();
    const queueArn = new CfnParameter(stack, 'QueueArn').valueAsString;
    const waiter = new JobWaiter(stack, 'Waiter', { submit: { jobDefinition: 'etl', jobQueue: queueArn } });
    expect(waiter.fragment.policyStatements[0]?.resources).toContain(queueArn);
  });
});
