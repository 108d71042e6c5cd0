import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HAND_OVER_RETRY_ERRORS } from '../../lib/hand-over-states';
import { JobWaiter } from '../../lib/job-waiter';
import { stateMachinesIn } from '../../lib/local/template';
import { PollerFunction } from '../../lib/poller-function';
import { StepWaitStack } from '../../lib/stepwait-stack';
import { DEFAULT_DELAYS, JobWaitFragment, POLLER_RETRY_ERRORS } from '../../lib/wait-fragment';
import {
  batchWaiterModel,
  HAND_OVER_CONTRACT,
  POLL_EVENT_SCHEMA_VERSION,
  SUPPORTED_SCHEMA_VERSIONS,
} from '../../waiters';

/** Bundling is skipped: these tests read the template, not the Lambda asset (bin/app.test.ts bundles). */
function newApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  SecondsPath?: string;
  Retry?: { ErrorEquals: string[]; JitterStrategy?: string; MaxAttempts?: number }[];
  Catch?: unknown[];
  Choices?: unknown[];
  Default?: string;
  Parameters?: Record<string, unknown>;
  OutputPath?: string;
  ErrorPath?: string;
  CausePath?: string;
  Error?: string;
}

/** The statements of the one IAM policy whose logical id starts with `prefix`. */
function policyStatements(template: Template, prefix: string): { Action: unknown; Resource: unknown }[] {
  const matches = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
    id.startsWith(prefix),
  );
  expect(matches.length, prefix).toBe(1);
  const [, policy] = matches[0] as [string, { Properties: { PolicyDocument: { Statement: never[] } } }];
  return policy.Properties.PolicyDocument.Statement;
}

function definitionOf(template: Template): {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
} {
  // The main machine: the one callers start (the segment machine only continues long waits).
  const machine = stateMachinesIn(template.toJSON() as never).find(
    (candidate) => !candidate.logicalId.includes('Segment'),
  );
  return machine?.definition as never;
}

describe('JobWaiter in the example stack', () => {
  let template: Template;
  let states: Record<string, AslState>;
  let definition: ReturnType<typeof definitionOf>;

  beforeAll(() => {
    const stack = new StepWaitStack(newApp(), 'StepWaitStack');
    template = Template.fromStack(stack);
    definition = definitionOf(template);
    states = definition.States;
  });

  it('chains three stages as Poll -> Decide -> Wait -> Poll', () => {
    for (const stage of ['JobExists', 'JobRunning', 'JobComplete']) {
      expect(states[`${stage} Poll`]).toMatchObject({
        Type: 'Task',
        Next: `${stage} Decide`,
        OutputPath: '$.Payload',
      });
      expect(states[`${stage} Decide`]?.Type).toBe('Choice');
      expect(states[`${stage} Wait`]).toMatchObject({
        Type: 'Wait',
        SecondsPath: '$.delaySeconds',
        Next: `${stage} Poll`,
      });
    }
    // The wait starts with its first poll, which builds its state from the request in the context object:
    // even a null input reaches the poller, and no Pass is entered (and paid for) first.
    expect(definition.StartAt).toBe('JobExists First Poll');
    expect(states.Start).toBeUndefined();
    expect(states['JobExists First Poll']).toMatchObject({
      Type: 'Task',
      Next: 'JobExists Decide',
      OutputPath: '$.Payload',
      Parameters: { Payload: { state: { 'request.$': '$$.Execution.Input' } } },
      Retry: states['JobExists Poll']?.Retry,
    });
    // Its Catch keeps only the error (a ResultPath into a null input would itself fail), then names it.
    expect(states['JobExists First Poll']?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$', Next: 'First Poll Failed' },
    ]);
    expect(states['First Poll Failed']).toMatchObject({
      Parameters: { 'pollError.$': '$' },
      Next: 'Poller Failed',
    });
  });

  it('lets a Decide jump to any later stage, because one response may settle several stages', () => {
    const targets = (name: string) => JSON.stringify(states[name]?.Choices);
    expect(targets('JobExists Decide')).toContain('JobComplete Wait');
    expect(targets('JobExists Decide')).toContain('JobRunning Wait');
    expect(targets('JobComplete Decide')).not.toContain('JobExists Wait');
    expect(states['JobExists Decide']?.Default).toBe('Failed');
  });

  it('ends in a Pass holding the output, and fails through named errors', () => {
    expect(states.Done).toMatchObject({
      Type: 'Pass',
      End: true,
      Parameters: {
        'status.$': '$.status',
        'timedOut.$': '$.timedOut',
        'jobs.$': '$.jobs',
        'stages.$': '$.stages',
        'waitedSeconds.$': '$.waitedSeconds',
      },
    });
    expect(states.Failed).toMatchObject({ Type: 'Fail', ErrorPath: '$.error', CausePath: '$.cause' });
    expect(states['Timed Out']).toMatchObject({
      Type: 'Fail',
      Error: 'StepWait.Timeout',
      CausePath: '$.cause',
    });
  });

  it('uses JSONPath only: no JSONata, no Assign variables', () => {
    const asl = JSON.stringify(definition);
    expect(asl).not.toMatch(/JSONata|"Assign"|\{%/);
  });

  it('retries Lambda service errors, throttles and crashes with full jitter', () => {
    for (const stage of ['JobExists', 'JobRunning', 'JobComplete']) {
      const [refused, service, anyCrash] = states[`${stage} Poll`]?.Retry ?? [];
      // A refused request is final; service errors and any crash (Runtime.ExitError, ...) are retried.
      expect(refused).toMatchObject({ ErrorEquals: ['StepWait.InvalidInput'], MaxAttempts: 0 });
      expect(service?.ErrorEquals).toEqual(POLLER_RETRY_ERRORS);
      expect(service?.JitterStrategy).toBe('FULL');
      expect(service?.ErrorEquals).toContain('Lambda.TooManyRequestsException');
      expect(anyCrash).toMatchObject({ ErrorEquals: ['States.ALL'], JitterStrategy: 'FULL' });
    }
  });

  it('sends the poller a versioned event with its config as a JSON string', () => {
    const payload = states['JobComplete Poll']?.Parameters?.Payload as Record<string, unknown>;
    expect(payload.schemaVersion).toBe(POLL_EVENT_SCHEMA_VERSION);
    expect(SUPPORTED_SCHEMA_VERSIONS).toContain(payload.schemaVersion);
    expect(payload['state.$']).toBe('$');
    const config = JSON.parse(payload.config as string);
    expect(config.stages).toEqual(['JobExists', 'JobRunning', 'JobComplete']);
    expect(config.delays).toEqual(DEFAULT_DELAYS);
    expect(config.timeoutSeconds).toBe(86_400);
    expect(config.failOnTimeout).toBe(true);
    expect(config.maxAttempts).toEqual({});
  });

  it('sets the machine timeout only as a backstop above the longest deadline', () => {
    expect(definition.TimeoutSeconds).toBe(7 * 86_400 + 3_600);
  });

  it('deploys the poller as nodejs22.x on arm64', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 30,
    });
  });

  it('allows the poller batch:DescribeJobs and batch:ListJobs and nothing else', () => {
    const statements = policyStatements(template, 'BatchJobWaiterPollerRoleDefaultPolicy');
    expect(statements).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^BatchJobWaiterPollerLogs/), 'Arn'] },
      },
      {
        Sid: 'ReadBatchJobStatus',
        Effect: 'Allow',
        Action: ['batch:DescribeJobs', 'batch:ListJobs'],
        Resource: '*',
      },
    ]);
    // No managed policy: AWSLambdaBasicExecutionRole would allow writing to every log group.
    const [role] = Object.values(
      template.findResources('AWS::IAM::Role', {
        Properties: { Description: Match.stringLikeRegexp('poller') },
      }),
    );
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('lets the main machine invoke its poller, run its own segment machine, and deliver logs; nothing else', () => {
    const statements = policyStatements(template, 'BatchJobWaiterStateMachineRoleDefaultPolicy');
    const byAction = Object.fromEntries(
      statements.map((statement) => [[statement.Action].flat().sort().join(','), statement.Resource]),
    );
    expect(Object.keys(byAction).sort()).toEqual([
      'events:DescribeRule,events:PutRule,events:PutTargets',
      'lambda:InvokeFunction',
      'logs:CreateLogDelivery,logs:DeleteLogDelivery,logs:DescribeLogGroups,logs:DescribeResourcePolicies,logs:GetLogDelivery,logs:ListLogDeliveries,logs:PutResourcePolicy,logs:UpdateLogDelivery',
      'states:DescribeExecution',
      'states:DescribeExecution,states:StopExecution',
      'states:StartExecution',
    ]);
    expect(JSON.stringify(byAction['lambda:InvokeFunction'])).toContain('BatchJobWaiterPoller');
    // Describe Segment looks at the segment machine's executions, exactly those .sync already follows.
    expect(byAction['states:DescribeExecution']).toEqual(
      byAction['states:DescribeExecution,states:StopExecution'],
    );
    expect(byAction['states:StartExecution']).toEqual({
      Ref: expect.stringMatching(/^BatchJobWaiterSegmentStateMachine/),
    });
    expect(JSON.stringify(byAction['states:DescribeExecution,states:StopExecution'])).toContain(
      'BatchJobWaiterSegmentStateMachine',
    );
    // Only the rule that startExecution.sync needs.
    expect(JSON.stringify(byAction['events:DescribeRule,events:PutRule,events:PutTargets'])).toContain(
      'rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
    );
  });

  it('lets the segment machine invoke the poller and deliver logs only', () => {
    const statements = policyStatements(template, 'BatchJobWaiterSegmentStateMachineRoleDefaultPolicy');
    expect(statements.map((statement) => [statement.Action].flat()[0]).sort()).toEqual([
      'lambda:InvokeFunction',
      'logs:CreateLogDelivery',
    ]);
  });

  it('hands a long wait over to a named segment execution, retrying refused starts, and raises what it ends with', () => {
    expect(states['JobComplete Decide']?.Choices).toContainEqual({
      Variable: '$.state',
      StringEquals: 'continue',
      Next: 'Hand Over Wait',
    });
    expect(states['Hand Over Wait']).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.delaySeconds',
      Next: 'Hand Over',
    });
    expect(states['Hand Over']).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      OutputPath: '$.Output',
      Parameters: {
        'Name.$': '$.segmentExecutionName',
        Input: { 'handOver.$': '$', handOverVersion: HAND_OVER_CONTRACT },
      },
      Retry: [
        {
          ErrorEquals: HAND_OVER_RETRY_ERRORS,
          JitterStrategy: 'FULL',
          MaxAttempts: 10,
        },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Why Did The Hand-Over Fail?' }],
      Next: 'Segment Ended How?',
    });
    // A segment that ran and failed is never started again.
    expect(HAND_OVER_RETRY_ERRORS).not.toContain('States.TaskFailed');
    expect(HAND_OVER_RETRY_ERRORS).not.toContain('States.ALL');
    expect(states['Segment Ended How?']?.Choices).toContainEqual({
      Variable: '$.error',
      IsPresent: true,
      Next: 'Failed',
    });
    // Nothing is parsed out of a caught Cause (plain text, or JSON cut at 32,768 characters): the only
    // parse is of a segment's own output, as DescribeExecution returns it.
    const parsed = [...JSON.stringify(definition).matchAll(/States\.StringToJson\(([^)]*)\)/g)].map(
      (m) => m[1],
    );
    expect(parsed).toEqual(['$.segmentDescription.Output']);
    expect(states['Why Did The Hand-Over Fail?']?.Choices?.[0]).toMatchObject({ Next: 'Describe Segment' });
    const payload = states['JobComplete Poll']?.Parameters?.Payload as Record<string, unknown>;
    expect(JSON.parse(payload.config as string).pollBudget).toBe(1_800);
  });

  it('logs executions at ERROR without execution data, with retention', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
    });
    // The poller's, the waiter's machines', and the example pipeline's own segment machine's.
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBe(3);
    template.resourcePropertiesCountIs(
      'AWS::StepFunctions::StateMachine',
      { LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false } },
      3,
    );
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('alarms on failed executions, timed-out waits (its own metric) and poller errors', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'StepWait',
      MetricName: 'WaitsTimedOut',
      Dimensions: [{ Name: 'Waiter', Value: Match.anyValue() }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
    });
  });

  it('outputs the state machine ARN', () => {
    template.hasOutput('StateMachineArn', {});
  });
});

describe('JobWaiter props', () => {
  it('puts custom delays, limits and timeouts into the poller config', () => {
    const stack = new Stack(newApp(), 'Custom');
    const waiter = new JobWaiter(stack, 'Waiter', {
      delays: { JobComplete: { kind: 'exponential', minDelay: 10, maxDelay: 600 } },
      maxAttempts: { JobExists: 50 },
      timeout: Duration.hours(2),
      maxTimeout: Duration.hours(4),
      failOnTimeout: false,
      logging: false,
    });
    expect(waiter.fragment.pollerConfig).toMatchObject({
      delays: {
        JobComplete: { kind: 'exponential', minDelay: 10, maxDelay: 600 },
        JobExists: DEFAULT_DELAYS.JobExists,
        JobRunning: DEFAULT_DELAYS.JobRunning,
      },
      maxAttempts: { JobExists: 50 },
      timeoutSeconds: 7_200,
      maxTimeoutSeconds: 14_400,
      failOnTimeout: false,
    });
    const definition = definitionOf(Template.fromStack(stack));
    expect(definition.TimeoutSeconds).toBe(14_400 + 3_600);
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.absent(),
    });
  });

  it('takes a custom waiter model and its own stages', () => {
    const model = batchWaiterModel.withOverrides({ JobComplete: { delay: 30 } });
    const stack = new Stack(newApp(), 'Model');
    const waiter = new JobWaiter(stack, 'Waiter', { waiterModel: model, stages: ['JobComplete'] });
    const states = definitionOf(Template.fromStack(stack)).States;
    expect(Object.keys(states).filter((name) => name.endsWith(' Poll'))).toEqual([
      'JobComplete First Poll',
      'JobComplete Poll',
    ]);
    expect(waiter.fragment.pollerConfig.delays.JobComplete).toEqual({ kind: 'fixed', delay: 30, jitter: 2 });
  });

  it('keeps stepwait’s delays for the stages a model made with withOverrides leaves at their built-in delay', () => {
    const model = batchWaiterModel.withOverrides({
      JobComplete: { delay: 60 },
      JobRunning: { description: 'acceptors and words changed, not the delay' },
    });
    const waiter = new JobWaiter(new Stack(newApp(), 'Overrides'), 'Waiter', { waiterModel: model });
    expect(waiter.fragment.pollerConfig.stages).toEqual(['JobExists', 'JobRunning', 'JobComplete']);
    expect(waiter.fragment.pollerConfig.delays).toEqual({
      JobExists: DEFAULT_DELAYS.JobExists,
      JobRunning: DEFAULT_DELAYS.JobRunning,
      JobComplete: { kind: 'fixed', delay: 60, jitter: 2 },
    });
  });

  it('grants starting executions of this machine only', () => {
    const stack = new Stack(newApp(), 'Grant');
    const waiter = new JobWaiter(stack, 'Waiter');
    const role = new iam.Role(stack, 'Caller', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
    });
    waiter.grantStartExecution(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Caller') }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'states:StartExecution',
            Effect: 'Allow',
            Resource: { Ref: Match.stringLikeRegexp('^WaiterStateMachine') },
          },
        ],
      },
    });
  });
});

describe('JobWaitFragment in a host machine', () => {
  it('chains into another machine twice with state-name prefixes, sharing one poller', () => {
    const stack = new Stack(newApp(), 'Host');
    const poller = new PollerFunction(stack, 'Poller');
    const first = new JobWaitFragment(stack, 'Extract', {
      poller,
      statePrefix: 'Extract: ',
      inputPath: '$.extract',
    });
    const second = new JobWaitFragment(stack, 'Load', { poller, statePrefix: 'Load: ', inputPath: '$.load' });
    const both = new sfn.Parallel(stack, 'Both').branch(first).branch(second);
    new sfn.StateMachine(stack, 'Host', {
      definitionBody: sfn.DefinitionBody.fromChainable(both.next(new sfn.Succeed(stack, 'All Done'))),
    });
    const definition = definitionOf(Template.fromStack(stack)) as unknown as {
      States: { Both: { Branches: { StartAt: string; States: Record<string, AslState> }[] } };
    };
    const [extract, load] = definition.States.Both.Branches;
    expect(extract?.StartAt).toBe('Extract: JobExists First Poll');
    expect(extract?.States['Extract: JobExists First Poll']?.Parameters).toMatchObject({
      Payload: { state: { 'request.$': '$.extract' } },
    });
    expect(load?.States['Load: JobComplete Wait']).toMatchObject({ Next: 'Load: JobComplete Poll' });
    // The fragment ends in a Pass, not a Succeed, so the host goes on after it.
    expect(extract?.States['Extract: Done']).toMatchObject({ Type: 'Pass', End: true });
    expect(Object.values(extract?.States ?? {}).some((state) => state.Type === 'Succeed')).toBe(false);
  });
});

describe('JobWaiter that submits and cancels', () => {
  it('may submit only the given job definition (any revision) to the given queue, and terminate only jobs', () => {
    const stack = new StepWaitStack(newApp(), 'Submitting', {
      waiter: {
        submit: { jobDefinition: 'etl-job:3', jobQueue: 'etl-queue' },
        cancelJobOnTimeout: true,
      },
    });
    const template = Template.fromStack(stack);
    const statements = policyStatements(template, 'BatchJobWaiterStateMachineRoleDefaultPolicy');
    const submit = statements.find((statement) => statement.Action === 'batch:SubmitJob');
    const resources = JSON.stringify(submit?.Resource);
    expect(resources).toContain(':job-definition/etl-job:*');
    expect(resources).toContain(':job-definition/etl-job"');
    expect(resources).toContain(':job-queue/etl-queue');
    expect(resources).not.toContain('job-definition/*');
    const terminate = statements.find((statement) => statement.Action === 'batch:terminateJob');
    expect(JSON.stringify(terminate?.Resource)).toMatch(/:job\/\*"/);

    const states = definitionOf(template).States;
    expect(states['Submit Job']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::batch:submitJob',
      Parameters: {
        'JobName.$': '$.submitRequest.jobName',
        JobDefinition: 'etl-job:3',
        JobQueue: 'etl-queue',
      },
      ResultPath: '$.submitted',
      Next: 'JobExists Poll',
    });
    expect(states['Submit Job']?.Retry).toBeUndefined();
    expect(JSON.stringify(states['JobExists Decide']?.Choices)).toContain('Submit Job');
    expect(states['Terminate Jobs']).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.jobIds',
      Next: 'Fail On Timeout?',
    });
  });
});

describe('the example app: schedule and pipeline', () => {
  let template: Template;

  beforeAll(() => {
    template = Template.fromStack(new StepWaitStack(newApp(), 'Examples'));
  });

  it('schedules a nightly wait with a retry policy, a dead-letter queue and the scheduled time in its input', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    const target = schedule?.Properties.Target;
    expect(schedule?.Properties.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3_600, MaximumRetryAttempts: 3 });
    expect(target.DeadLetterConfig.Arn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'],
    });
    expect(JSON.parse(target.Input)).toEqual({
      jobNamePrefix: 'nightly-etl-',
      jobQueue: 'nightly',
      timeoutSeconds: 21_600,
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('gives the schedule a role that may start only this machine and write to its queue', () => {
    const statements = policyStatements(template, 'SchedulerRoleForTarget');
    expect(statements).toEqual([
      {
        Action: 'states:StartExecution',
        Effect: 'Allow',
        Resource: { Ref: expect.stringMatching(/^BatchJobWaiterStateMachine/) },
      },
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] },
      },
    ]);
  });

  it('runs the waiter nested with startExecution.sync:2 and inline under a prefix', () => {
    const machines = stateMachinesIn(template.toJSON() as never);
    const pipeline = machines.find((machine) => machine.logicalId.startsWith('EtlPipelineStateMachine'))
      ?.definition as unknown as {
      States: Record<
        string,
        AslState & { Branches?: { States: Record<string, AslState> }[]; Catch?: unknown[] }
      >;
    };
    expect(pipeline.States['Wait For Extract']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { Input: { 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' } },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Extract Error?' }],
    });
    // The child's error is matched in the Cause, never parsed out of it (it may be cut, or plain text).
    expect(JSON.stringify(pipeline.States['Extract Error?'])).not.toContain('States.StringToJson');
    expect(JSON.stringify(pipeline.States['Extract Error?'])).toContain('"Error\\":\\"StepWait.Timeout');
    const branch = pipeline.States['Wait For Load']?.Branches?.[0]?.States ?? {};
    expect(Object.keys(branch).every((name) => name.startsWith('Load: '))).toBe(true);
    const actions = policyStatements(template, 'EtlPipelineStateMachineRoleDefaultPolicy').map(
      (s) => s.Action,
    );
    // Start the waiter nested, and (for the inline wait's hand-over) its own segment machine; nothing else.
    expect(actions).toEqual([
      'states:StartExecution',
      ['states:DescribeExecution', 'states:StopExecution'],
      ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      'lambda:InvokeFunction',
      'states:DescribeExecution',
      'states:StartExecution',
      ['states:DescribeExecution', 'states:StopExecution'],
    ]);
    const pipelineStatements = policyStatements(template, 'EtlPipelineStateMachineRoleDefaultPolicy');
    expect(pipelineStatements[0]?.Resource).toEqual({
      Ref: expect.stringMatching(/^BatchJobWaiterStateMachine/),
    });
    expect(pipelineStatements[5]?.Resource).toEqual({
      Ref: expect.stringMatching(/^EtlPipelineLoadWaitSegmentStateMachine/),
    });
    const events = pipelineStatements[2];
    expect(JSON.stringify(events?.Resource)).toContain(
      'rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
    );
  });
});
