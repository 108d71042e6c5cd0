import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { DqopsJobs } from '../../lib/dqops/dqops-jobs';
import { JobWaiter } from '../../lib/job-waiter';
import { stateMachinesIn } from '../../lib/local/template';
import { PollerFunction } from '../../lib/poller-function';
import { JobWaitFragment } from '../../lib/wait-fragment';
import { WakeUps } from '../../lib/wake-up/wake-ups';
import { parkStateName } from '../../waiters';

function newStack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
}

interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  TimeoutSecondsPath?: string;
  ResultPath?: string | null;
  Parameters?: { Payload?: Record<string, unknown> } & Record<string, unknown>;
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];
  Choices?: {
    And?: { Variable: string; IsPresent?: boolean; StringEquals?: string; NumericEquals?: number }[];
    Next: string;
  }[];
}

function mainDefinition(stack: Stack): { States: Record<string, AslState> } {
  const machine = stateMachinesIn(Template.fromStack(stack).toJSON() as never).find(
    (candidate) => !candidate.logicalId.includes('Segment'),
  );
  return machine?.definition as never;
}

describe("wakeUp: 'events'", () => {
  it('parks each stage in a .waitForTaskToken task that times out at $.parkSeconds and then polls', () => {
    const stack = newStack();
    new JobWaiter(stack, 'Waiter', { wakeUp: 'events' });
    const { States } = mainDefinition(stack);
    for (const stage of ['JobExists', 'JobRunning', 'JobComplete']) {
      const park = States[parkStateName(stage)] as AslState;
      expect(park.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(park.TimeoutSecondsPath).toBe('$.parkSeconds');
      expect(park.ResultPath).toBeNull();
      expect(park.Parameters?.Payload).toMatchObject({
        'state.$': '$',
        park: { 'taskToken.$': '$$.Task.Token' },
      });
      expect(park.Next).toBe(`${stage} Poll`);
      expect(park.Catch).toEqual([
        { ErrorEquals: ['States.Timeout'], Next: `${stage} Poll`, ResultPath: null },
        { ErrorEquals: ['States.ALL'], Next: `${stage} Wait`, ResultPath: null },
      ]);
    }
    // A retry with parkSeconds parks; one without (throttled, not seen yet) waits, as in poll mode.
    const choices = States['JobRunning Decide']?.Choices ?? [];
    const toPark = choices.findIndex((choice) => choice.Next === 'JobComplete Park');
    const toWait = choices.findIndex((choice) => choice.Next === 'JobComplete Wait');
    expect(toPark).toBeGreaterThanOrEqual(0);
    expect(toPark).toBeLessThan(toWait);
    expect(choices[toPark]?.And).toContainEqual({ Variable: '$.parkSeconds', IsPresent: true });
  });

  it('deploys one table, queue, dead-letter queue and waker per stack, and one rule per distinct pattern', () => {
    const stack = newStack();
    new JobWaiter(stack, 'Nightly', { wakeUp: 'events' });
    new JobWaiter(stack, 'Hourly', { wakeUp: 'events' });
    new JobWaiter(stack, 'Submitting', {
      wakeUp: 'events',
      submit: { jobDefinition: 'etl-job', jobQueue: 'etl-queue' },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 180,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('waker'),
      Timeout: 30,
      Architectures: ['arm64'],
    });
    // Main and segment machines of a waiter share a rule, and so do waiters with the same stages, whatever
    // their queue: a waiter that submits still takes job ids in any queue.
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as {
      Properties: { EventPattern?: unknown };
    }[];
    const patterns = rules
      .map((rule) => rule.Properties.EventPattern)
      .filter((pattern) => pattern !== undefined);
    expect(patterns).toEqual([
      {
        source: ['aws.batch'],
        'detail-type': ['Batch Job State Change'],
        detail: { status: ['RUNNING', 'SUCCEEDED', 'FAILED'] },
      },
    ]);
  });

  it('sweeps every parked wait on a schedule, every 5 minutes unless told', () => {
    const stack = newStack();
    new JobWaiter(stack, 'Waiter', { wakeUp: 'events' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Sweeper'), 'Arn'] } })],
    });
    const custom = newStack();
    const wakeUps = new WakeUps(custom, 'Parks', { sweepInterval: Duration.minutes(2) });
    new JobWaiter(custom, 'Waiter', { wakeUp: 'events', wakeUps });
    Template.fromStack(custom).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(2 minutes)',
    });
    Template.fromStack(custom).resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(() => new WakeUps(newStack(), 'Parks', { sweepInterval: Duration.seconds(30) })).toThrow(
      /Test\/Parks.*sweepInterval.*whole minutes from 1 to 60/,
    );
  });

  it('gives each wait a callback URL with callbacks: a function URL (NONE, or AWS_IAM when asked) and a key secret', () => {
    const stack = newStack();
    const wakeUps = new WakeUps(stack, 'Parks', { callbacks: {} });
    new JobWaiter(stack, 'Waiter', { wakeUp: 'events', wakeUps });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        GenerateStringKey: 'k1',
        SecretStringTemplate: '{"current":"k1"}',
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('poller'),
      Environment: {
        Variables: Match.objectLike({
          STEPWAIT_CALLBACK_URL: {
            'Fn::GetAtt': [Match.stringLikeRegexp('ParksCallbackFunctionUrl'), 'FunctionUrl'],
          },
          STEPWAIT_CALLBACK_SECRET: { Ref: Match.stringLikeRegexp('ParksCallbackKeys') },
        }),
      },
    });
    // The output carries the URL (null for a waiter without callbacks, so Done can always read it).
    expect(mainDefinition(stack).States.Done?.Parameters).toMatchObject({ 'callbackUrl.$': '$.callbackUrl' });

    const iam = newStack();
    new JobWaiter(iam, 'Waiter', {
      wakeUp: 'events',
      wakeUps: new WakeUps(iam, 'Parks', { callbacks: { authType: lambda.FunctionUrlAuthType.AWS_IAM } }),
    });
    Template.fromStack(iam).hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });

    const capped = newStack();
    new WakeUps(capped, 'Parks', { callbacks: { reservedConcurrency: 5 } });
    Template.fromStack(capped).hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('callback'),
      ReservedConcurrentExecutions: 5,
    });
    expect(() => new WakeUps(newStack(), 'Parks', { callbacks: { reservedConcurrency: 0 } })).toThrow(
      /Test\/Parks.*callbacks\.reservedConcurrency.*a whole number >= 1/,
    );
  });

  it('ends in one Done that reads the callback URL; a segment’s output without one (its machine redeployed in poll mode since) ends without it', () => {
    const stack = newStack();
    new JobWaiter(stack, 'Waiter', { wakeUp: 'events' });
    const { States } = mainDefinition(stack);
    expect(States.Done?.Parameters).toMatchObject({ 'callbackUrl.$': '$.callbackUrl' });
    expect(States['JobComplete Decide']?.Choices?.find((choice) => choice.Next === 'Done')).toBeDefined();
    expect(States['Segment Ended How?']?.Choices?.at(-1)).toMatchObject({
      Variable: '$.callbackUrl',
      IsPresent: true,
      Next: 'Done',
    });
    expect(States['Segment Ended How?']).toMatchObject({ Default: 'Done Without Callback URL' });
    expect(States['Done Without Callback URL']?.Parameters).not.toHaveProperty('callbackUrl.$');

    const polling = newStack();
    new JobWaiter(polling, 'Waiter');
    const pollMode = mainDefinition(polling).States;
    expect(pollMode.Done?.Parameters).not.toHaveProperty('callbackUrl.$');
    expect(pollMode['Segment Ended How?']).toMatchObject({ Default: 'Done' });
  });

  it('refuses, at synth, a fragment in event mode whose host machine was never granted (nothing could wake it)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Host');
    const poller = new PollerFunction(stack, 'Poller');
    const fragment = new JobWaitFragment(stack, 'Wait', { poller, wakeUp: 'events' });
    new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(fragment) });
    expect(() => app.synth()).toThrow(
      /Host\/Wait.*fragment\.grantTo\(hostStateMachine\).*states:SendTaskSuccess/s,
    );
  });

  it('caps the poll budget at 1,000 in event mode (a park adds history) and defaults to it', () => {
    expect(() => new JobWaiter(newStack(), 'W', { wakeUp: 'events', pollBudget: 1_800 })).toThrow(
      /Test\/W.*pollBudget.*at most 1000 with wakeUp "events"/,
    );
    const stack = newStack();
    const waiter = new JobWaiter(stack, 'W', { wakeUp: 'events' });
    expect(waiter.fragment.pollerConfig.pollBudget).toBe(1_000);
    expect(new JobWaiter(newStack(), 'P', {}).fragment.pollerConfig.pollBudget).toBe(1_800);
  });

  it('changes nothing in poll mode, the default', () => {
    const stack = newStack();
    new JobWaiter(stack, 'Waiter', {});
    const { States } = mainDefinition(stack);
    expect(Object.keys(States).filter((name) => name.endsWith(' Park'))).toEqual([]);
    Template.fromStack(stack).resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it('refuses, by construct path and prop, what cannot park', () => {
    expect(
      () =>
        new JobWaiter(newStack(), 'Dq', {
          wakeUp: 'events',
          jobSystem: new DqopsJobs({ baseUrl: 'https://dqops.example.com' }),
        }),
    ).toThrow(/Test\/Dq.*wakeUp.*DQOps sends no job state-change events/);
    expect(() => new JobWaiter(newStack(), 'W', { parkBackstop: Duration.hours(1) })).toThrow(
      /Test\/W.*parkBackstop.*none without wakeUp: 'events'/,
    );
    expect(
      () => new JobWaiter(newStack(), 'W', { wakeUp: 'events', parkBackstop: Duration.seconds(30) }),
    ).toThrow(/Test\/W.*parkBackstop.*from 60/);
    expect(() => new JobWaiter(newStack(), 'W', { wakeUp: 'sometimes' as never })).toThrow(
      /Test\/W.*wakeUp.*'poll' or 'events'/,
    );
    const stack = newStack();
    const plain = new lambda.Function(stack, 'Plain', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    expect(() => new JobWaitFragment(stack, 'Frag', { poller: plain, wakeUp: 'events' })).toThrow(
      /Test\/Frag.*poller.*a stepwait PollerFunction: wakeUp: 'events' gives its poller the park table/,
    );
  });
});
