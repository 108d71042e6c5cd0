import { BatchClient } from '@aws-sdk/client-batch';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { expect } from 'vitest';
import type { ClientFactory, ClientOptions } from '../../../bin/cli/account/clients';
import { type AccountCommandName, accountCommand } from '../../../bin/cli/account/command';

/**
 * Shared by the account command tests. Every client gets region us-east-1 and dummy static credentials,
 * and the tests mock every client with aws-sdk-client-mock, so nothing is ever sent anywhere.
 */
export const credentials = { accessKeyId: 'AKIDLOCALONLY', secretAccessKey: 'local-only-secret' };

export const ACCOUNT = '123456789012';
export const MACHINE_NAME = 'BatchJobWaiterStateMachine8DC1133C-Ab12Cd34';
export const MACHINE_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${MACHINE_NAME}`;
export const executionArn = (name: string) =>
  `arn:aws:states:us-east-1:${ACCOUNT}:execution:${MACHINE_NAME}:${name}`;

/** 2025-06-11T02:15:00Z: the fixed "now" of every run. */
export const NOW = Date.UTC(2025, 5, 11, 2, 15, 0);

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Milliseconds of every sleep the command asked for. */
  sleeps: number[];
  /** The options every client factory call got. */
  clientOptions: ClientOptions[];
}

/** Runs an account command in process with mocked clients, a fixed clock and a sleep that returns at once. */
export async function run(
  command: AccountCommandName,
  args: string[],
  options: { live?: boolean; factory?: ClientFactory } = {},
): Promise<Run> {
  const result: Run = { code: -1, stdout: '', stderr: '', sleeps: [], clientOptions: [] };
  result.code = await accountCommand(command, args, {
    output: {
      out: (text) => {
        result.stdout += text;
      },
      err: (text) => {
        result.stderr += text;
      },
      live: options.live ?? false,
    },
    clients:
      options.factory ??
      ((clientOptions) => {
        result.clientOptions.push(clientOptions);
        return {
          sfn: new SFNClient({ region: 'us-east-1', credentials }),
          cloudFormation: new CloudFormationClient({ region: 'us-east-1', credentials }),
          batch: new BatchClient({ region: 'us-east-1', credentials }),
        };
      }),
    sleep: async (ms) => {
      result.sleeps.push(ms);
    },
    now: () => NOW,
    pollIntervalMs: 10_000,
  });
  return result;
}

/** stdout must be exactly one JSON object on one line. */
export function onlyJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const value = JSON.parse(lines[0] as string);
  expect(value).toBeTypeOf('object');
  expect(Array.isArray(value)).toBe(false);
  return value;
}

/** A poller state as the `<Stage> Poll` task leaves it (after OutputPath `$.Payload`). */
export function pollState(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    state: 'retry',
    status: 'RUNNING',
    stageIndex: 2,
    attempt: 4,
    delaySeconds: 60,
    startedAt: '2025-06-11T01:00:05.000Z',
    deadline: '2025-06-12T01:00:05.000Z',
    jobIds: ['job-1'],
    seenJobIds: ['job-1'],
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
    jobs: [{ jobId: 'job-1', jobName: 'nightly-etl', status: 'RUNNING', attempts: 0 }],
    timedOut: false,
    waitedSeconds: 4_400,
    throttledCalls: 0,
    transientErrors: 0,
    consecutiveTransientErrors: 0,
    target: { jobIds: ['job-1'] },
    failOnTimeout: true,
    overrides: {},
    ...overrides,
  };
}

const when = new Date(NOW - 60_000);

/** The events of one poll loop, newest first (reverseOrder), the newest poll ending with `state`. */
export function historyNewestFirst(state: Record<string, unknown>, firstId = 100): HistoryEvent[] {
  const events: Omit<HistoryEvent, 'id'>[] = [
    { type: 'WaitStateEntered', timestamp: when, stateEnteredEventDetails: { name: 'JobComplete Wait' } },
    { type: 'ChoiceStateExited', timestamp: when, stateExitedEventDetails: { name: 'JobComplete Decide' } },
    { type: 'ChoiceStateEntered', timestamp: when, stateEnteredEventDetails: { name: 'JobComplete Decide' } },
    {
      type: 'TaskStateExited',
      timestamp: when,
      stateExitedEventDetails: { name: 'JobComplete Poll', output: JSON.stringify(state) },
    },
    {
      type: 'TaskSucceeded',
      timestamp: when,
      taskSucceededEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        output: JSON.stringify({ StatusCode: 200, Payload: state }),
      },
    },
    { type: 'TaskStarted', timestamp: when },
  ];
  return events.map((event, index) => ({ ...event, id: firstId - index }));
}

/** What DescribeExecution says of an execution of MACHINE_ARN. */
export function described(name: string, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    executionArn: executionArn(name),
    stateMachineArn: MACHINE_ARN,
    name,
    startDate: new Date(NOW - 3_600_000),
    input: JSON.stringify({ jobId: 'job-1' }),
    ...fields,
  };
}
