import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { outcomeOf } from '../../../bin/cli/account/outcome';
import { newestPollState } from '../../../bin/cli/account/poll-state';
import {
  described,
  executionArn,
  historyNewestFirst,
  MACHINE_ARN,
  NOW,
  onlyJson,
  pollState,
  run,
} from './harness';

const sfn = mockClient(SFNClient);
const cloudFormation = mockClient(CloudFormationClient);

beforeEach(() => {
  sfn.reset();
  cloudFormation.reset();
});

const NAME = 'nightly-etl';
const ARN = executionArn(NAME);

function execution(fields: Record<string, unknown>): void {
  sfn.on(DescribeExecutionCommand, { executionArn: ARN }).resolves(described(NAME, fields) as never);
}

async function statusJson(args: string[] = [ARN]): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await run('status', [...args, '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return onlyJson(stdout);
}

describe('stepwait status of a running wait', () => {
  it('shows the callback URL of an event-mode wait that has one, while it runs', async () => {
    const url = 'https://abc.lambda-url.us-east-1.on.aws/wake/w-1?expires=1&keyId=k1&signature=s';
    execution({ status: 'RUNNING' });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolves({ events: historyNewestFirst(pollState({ callbackUrl: url })) });
    expect((await statusJson()).callbackUrl).toBe(url);
    const { stdout } = await run('status', [ARN]);
    expect(stdout.split('\n')).toContainEqual(
      expect.stringMatching(/^callback URL +https:\/\/abc\.lambda-url/),
    );
  });

  it('reads stage, attempt, jobs and deadline from the newest Poll state in the history', async () => {
    execution({ status: 'RUNNING' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: historyNewestFirst(pollState()) });
    expect(await statusJson()).toEqual({
      executionArn: ARN,
      name: NAME,
      stateMachineArn: MACHINE_ARN,
      status: 'RUNNING',
      executionStatus: 'RUNNING',
      stage: 'JobComplete',
      attempt: 4,
      stages: [
        {
          waiter: 'JobExists',
          attempts: 1,
          startedAt: '2025-06-11T01:00:05.000Z',
          finishedAt: '2025-06-11T01:00:05.000Z',
        },
        {
          waiter: 'JobRunning',
          attempts: 3,
          startedAt: '2025-06-11T01:00:05.000Z',
          finishedAt: '2025-06-11T01:02:00.000Z',
        },
        { waiter: 'JobComplete', attempts: 4, startedAt: '2025-06-11T01:02:00.000Z' },
      ],
      jobs: [{ jobId: 'job-1', jobName: 'nightly-etl', status: 'RUNNING' }],
      waitedSeconds: 3_600,
      startDate: new Date(NOW - 3_600_000).toISOString(),
      stopDate: null,
      deadline: '2025-06-12T01:00:05.000Z',
      error: null,
      reason: null,
      handOvers: 0,
      segment: null,
      stateSource: 'execution',
      segmentNotRead: null,
      callbackUrl: null,
    });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input).toMatchObject({
      executionArn: ARN,
      reverseOrder: true,
    });
  });

  it('shows it as text', async () => {
    execution({ status: 'RUNNING' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: historyNewestFirst(pollState()) });
    const { code, stdout } = await run('status', [ARN]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^status +RUNNING$/m);
    expect(stdout).toMatch(/^stage +JobComplete, attempt 4$/m);
    expect(stdout).toMatch(/^job +job-1 \(nightly-etl\) RUNNING$/m);
    expect(stdout).toMatch(/^waited +1h 0m 0s$/m);
    expect(stdout).toMatch(/^deadline +2025-06-12T01:00:05Z$/m);
  });

  it('takes the newest poll, also from a TaskSucceeded envelope, and ignores other states', async () => {
    const older = historyNewestFirst(pollState({ stageIndex: 1, attempt: 7 }), 50);
    const newer: HistoryEvent[] = [
      {
        id: 60,
        type: 'TaskSucceeded',
        timestamp: new Date(NOW),
        taskSucceededEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          output: JSON.stringify({ StatusCode: 200, Payload: pollState({ attempt: 5 }) }),
        },
      },
      {
        id: 59,
        type: 'TaskStateExited',
        timestamp: new Date(NOW),
        stateExitedEventDetails: { name: 'Notify', output: JSON.stringify(pollState({ attempt: 99 })) },
      },
    ];
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [...newer, ...older] });
    execution({ status: 'RUNNING' });
    expect(await statusJson()).toMatchObject({ stage: 'JobComplete', attempt: 5 });
    // Events in any order (here oldest first): the highest event id wins.
    const oldestFirst = [...historyNewestFirst(pollState({ attempt: 8 }), 90), ...older].reverse();
    expect(newestPollState(oldestFirst)).toMatchObject({ stageIndex: 2, attempt: 8 });
  });

  it('reads a second history page when the first holds no poll', async () => {
    execution({ status: 'RUNNING' });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [{ id: 300, type: 'TaskFailed', timestamp: new Date(NOW) }],
        nextToken: 'page-2',
      })
      .resolves({ events: historyNewestFirst(pollState({ stageIndex: 0, attempt: 2 })) });
    expect(await statusJson()).toMatchObject({ stage: 'JobExists', attempt: 2 });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[1]?.args[0].input.nextToken).toBe('page-2');
  });

  it('says so before the first poll', async () => {
    execution({ status: 'RUNNING' });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 2,
          type: 'PassStateEntered',
          timestamp: new Date(NOW),
          stateEnteredEventDetails: { name: 'Start' },
        },
      ],
    });
    const { stdout } = await run('status', [ARN]);
    expect(stdout).toMatch(/^stage +starting \(no poll yet\)$/m);
    expect(stdout).toMatch(/^job +none seen yet$/m);
  });
});

describe('stepwait status of a finished wait', () => {
  const output = {
    status: 'SUCCEEDED',
    timedOut: false,
    jobs: [{ jobId: 'job-1', status: 'SUCCEEDED', exitCode: 0, attempts: 1 }],
    stages: [
      { waiter: 'JobExists', attempts: 1 },
      { waiter: 'JobRunning', attempts: 2 },
      { waiter: 'JobComplete', attempts: 11 },
    ],
    waitedSeconds: 3_590,
  };

  it('SUCCEEDED: everything from the output, no history read', async () => {
    execution({ status: 'SUCCEEDED', stopDate: new Date(NOW - 600_000), output: JSON.stringify(output) });
    expect(await statusJson()).toMatchObject({
      status: 'SUCCEEDED',
      executionStatus: 'SUCCEEDED',
      stage: 'JobComplete',
      attempt: 11,
      jobs: [{ jobId: 'job-1', status: 'SUCCEEDED', exitCode: 0 }],
      waitedSeconds: 3_000,
      stopDate: new Date(NOW - 600_000).toISOString(),
      error: null,
    });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });

  it('TIMED_OUT when it ended normally with timedOut: true', async () => {
    execution({
      status: 'SUCCEEDED',
      stopDate: new Date(NOW),
      output: JSON.stringify({ ...output, status: 'TIMED_OUT', timedOut: true }),
    });
    expect(await statusJson()).toMatchObject({ status: 'TIMED_OUT', executionStatus: 'SUCCEEDED' });
    const { stdout } = await run('status', [ARN]);
    expect(stdout).toMatch(/^status +TIMED_OUT \(Step Functions: SUCCEEDED\)$/m);
  });

  it('TIMED_OUT when it failed with StepWait.Timeout, with the reason', async () => {
    sfn
      .on(GetExecutionHistoryCommand)
      .resolves({ events: historyNewestFirst(pollState({ state: 'timeout' })) });
    execution({
      status: 'FAILED',
      stopDate: new Date(NOW),
      error: 'StepWait.Timeout',
      cause: JSON.stringify({
        reason: 'deadline 2025-06-11T02:15:00.000Z passed while waiting in JobComplete',
        jobs: {},
      }),
    });
    expect(await statusJson()).toMatchObject({
      status: 'TIMED_OUT',
      executionStatus: 'FAILED',
      error: 'StepWait.Timeout',
      reason: 'deadline 2025-06-11T02:15:00.000Z passed while waiting in JobComplete',
      stage: 'JobComplete',
      attempt: 4,
    });
  });

  it('TIMED_OUT when the state machine itself timed out (the backstop)', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    execution({ status: 'TIMED_OUT', stopDate: new Date(NOW) });
    expect(await statusJson()).toMatchObject({
      status: 'TIMED_OUT',
      executionStatus: 'TIMED_OUT',
      stage: null,
    });
  });

  it("FAILED: the error, the cause's reason and the jobs (from the cause when the history has none)", async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    execution({
      status: 'FAILED',
      stopDate: new Date(NOW),
      error: 'StepWait.JobFailed',
      cause: JSON.stringify({
        reason: 'JobComplete: job job-1 failed',
        jobs: {
          'job-1': { status: 'FAILED', statusReason: 'Essential container in task exited', exitCode: 137 },
        },
      }),
    });
    expect(await statusJson()).toMatchObject({
      status: 'FAILED',
      error: 'StepWait.JobFailed',
      reason: 'JobComplete: job job-1 failed',
      jobs: [
        {
          jobId: 'job-1',
          status: 'FAILED',
          statusReason: 'Essential container in task exited',
          exitCode: 137,
        },
      ],
    });
    const { stdout } = await run('status', [ARN]);
    expect(stdout).toMatch(/^status +FAILED$/m);
    expect(stdout).toMatch(/^error +StepWait\.JobFailed$/m);
    expect(stdout).toMatch(/^reason +JobComplete: job job-1 failed$/m);
    expect(stdout).toMatch(/^job +job-1 FAILED: Essential container in task exited, exit code 137$/m);
  });

  it('FAILED with a cause that is not JSON shows the cause as it is', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    execution({
      status: 'FAILED',
      stopDate: new Date(NOW),
      error: 'States.Runtime',
      cause: 'An error occurred',
    });
    expect(await statusJson()).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      reason: 'An error occurred',
    });
  });

  it('ABORTED, with the reason `stepwait cancel` gave', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: historyNewestFirst(pollState()) });
    execution({
      status: 'ABORTED',
      stopDate: new Date(NOW),
      error: 'StepWait.Cancelled',
      cause: JSON.stringify({ reason: 'wrong queue' }),
    });
    expect(await statusJson()).toMatchObject({
      status: 'ABORTED',
      error: 'StepWait.Cancelled',
      reason: 'wrong queue',
      stage: 'JobComplete',
    });
  });

  it('maps every Step Functions status', () => {
    expect(outcomeOf({ status: 'RUNNING' })).toBe('RUNNING');
    expect(outcomeOf({ status: 'PENDING_REDRIVE' })).toBe('RUNNING');
    expect(outcomeOf({ status: 'SUCCEEDED', output: '{"timedOut":false}' })).toBe('SUCCEEDED');
    expect(outcomeOf({ status: 'SUCCEEDED', output: '{"timedOut":true}' })).toBe('TIMED_OUT');
    expect(outcomeOf({ status: 'FAILED', error: 'StepWait.Timeout' })).toBe('TIMED_OUT');
    expect(outcomeOf({ status: 'FAILED', error: 'StepWait.JobNotFound' })).toBe('FAILED');
    expect(outcomeOf({ status: 'TIMED_OUT' })).toBe('TIMED_OUT');
    expect(outcomeOf({ status: 'ABORTED' })).toBe('ABORTED');
  });
});

describe('stepwait status: finding the execution', () => {
  it("looks a name up in the stack's state machine", async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'StepWaitStack',
          StackStatus: 'CREATE_COMPLETE' as const,
          CreationTime: new Date(NOW),
          Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: MACHINE_ARN }],
        },
      ],
    });
    execution({
      status: 'SUCCEEDED',
      output: '{"status":"SUCCEEDED","timedOut":false,"jobs":[],"stages":[]}',
    });
    expect(await statusJson([NAME])).toMatchObject({ executionArn: ARN, status: 'SUCCEEDED' });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: ARN });
  });

  it('says which execution it looked for when there is none (exit 2)', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    const byName = await run('status', ['nightly-etl-2', '--state-machine-arn', MACHINE_ARN, '--json']);
    expect(byName.code).toBe(2);
    expect(byName.stderr).toContain(
      `execution not found: "nightly-etl-2" in ${MACHINE_ARN} (from --state-machine-arn)`,
    );
    expect(byName.stderr).toContain(executionArn('nightly-etl-2'));
    expect(onlyJson(byName.stdout)).toMatchObject({ error: { code: 'ExecutionNotFound' } });
    const byArn = await run('status', [ARN]);
    expect(byArn.code).toBe(2);
    expect(byArn.stderr).toContain(`execution not found: ${ARN}`);
    expect(byArn.stderr).not.toMatch(/\n\s+at /);
  });

  it('uses the region of the execution ARN', async () => {
    const euArn = ARN.replace('us-east-1', 'eu-west-1');
    sfn
      .on(DescribeExecutionCommand)
      .resolves(described(NAME, { executionArn: euArn, status: 'ABORTED' }) as never);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const { code, clientOptions } = await run('status', [euArn]);
    expect(code).toBe(0);
    expect(clientOptions).toEqual([{ region: 'eu-west-1' }]);
  });

  it.each([
    [[], /EXECUTION is missing/],
    [
      ['arn:aws:states:us-east-1:123456789012:stateMachine:M'],
      /EXECUTION: expected an execution name or arn/,
    ],
    [[ARN, 'another'], /unexpected argument "another"/],
    [[ARN, '--verbose'], /Unknown option '--verbose'/],
  ])('%j: exit 2 with the usage, nothing called', async (args, message) => {
    const { code, stderr } = await run('status', args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('Usage: stepwait status EXECUTION');
    expect(sfn.calls()).toHaveLength(0);
  });
});
