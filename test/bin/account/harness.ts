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
  options: {
    live?: boolean;
    columns?: number;
    factory?: ClientFactory;
    untilStopped?: (stdout: () => string) => Promise<void>;
  } = {},
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
      ...(options.columns === undefined ? {} : { columns: options.columns }),
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
    ...(options.untilStopped === undefined
      ? {}
      : {
          untilStopped: () =>
            (options.untilStopped as (stdout: () => string) => Promise<void>)(() => result.stdout),
        }),
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

/** The segment machine JobWaiter deploys beside the main one; Hand Over starts its executions. */
export const SEGMENT_MACHINE_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:BatchJobWaiterSegmentStateMachineE1F2-Xy98Zw76`;
export const segmentArn = (name: string) =>
  `${SEGMENT_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;

export interface HandOverRound {
  /** Which hand-over of the wait (the state handed over says `segments: number`). */
  number: number;
  /** The state handed over (what the previous execution ended with). */
  state: Record<string, unknown>;
  /** The segment's execution name; the StartExecution response (TaskSubmitted) names it. */
  segmentName: string;
  /** Leave out TaskSubmitted (Step Functions has not started the segment yet). */
  submitted?: boolean;
  /** Give the execution a Name in the parameters, as newer definitions do. */
  named?: boolean;
  /** The segment ended: its DescribeExecution output as TaskSucceeded carries it (then Choice, loop). */
  ended?: Record<string, unknown>;
}

/**
 * One round of the main execution's hand-over loop, newest first: `Hand Over Wait`, then the `Hand Over`
 * Task (arn:aws:states:::states:startExecution.sync:2) as the history records it (TaskScheduled with
 * the parameters, TaskStarted, TaskSubmitted with StartExecution's response, TaskSucceeded with the
 * child's DescribeExecution), then `Handed Over Again?`.
 */
export function handOverNewestFirst(round: HandOverRound, firstId: number): HistoryEvent[] {
  const details = { resourceType: 'states', resource: 'startExecution.sync:2' };
  const arn = segmentArn(round.segmentName);
  const handedOver = { ...round.state, segments: round.number, state: 'continue', continued: true };
  const oldestFirst: Omit<HistoryEvent, 'id'>[] = [
    { type: 'WaitStateEntered', timestamp: when, stateEnteredEventDetails: { name: 'Hand Over Wait' } },
    { type: 'WaitStateExited', timestamp: when, stateExitedEventDetails: { name: 'Hand Over Wait' } },
    { type: 'TaskStateEntered', timestamp: when, stateEnteredEventDetails: { name: 'Hand Over' } },
    {
      type: 'TaskScheduled',
      timestamp: when,
      taskScheduledEventDetails: {
        ...details,
        region: 'us-east-1',
        parameters: JSON.stringify({
          StateMachineArn: SEGMENT_MACHINE_ARN,
          Input: { handOver: handedOver, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: executionArn('main') },
          ...(round.named ? { Name: round.segmentName } : {}),
        }),
      },
    },
    { type: 'TaskStarted', timestamp: when, taskStartedEventDetails: details },
  ];
  if (round.submitted !== false) {
    oldestFirst.push({
      type: 'TaskSubmitted',
      timestamp: when,
      taskSubmittedEventDetails: {
        ...details,
        output: JSON.stringify({ ExecutionArn: arn, StartDate: NOW - 30_000 }),
      },
    });
  }
  if (round.ended !== undefined) {
    oldestFirst.push(
      {
        type: 'TaskSucceeded',
        timestamp: when,
        taskSucceededEventDetails: {
          ...details,
          output: JSON.stringify({
            ExecutionArn: arn,
            Input: JSON.stringify({ handOver: handedOver }),
            Output: round.ended,
            Status: 'SUCCEEDED',
          }),
        },
      },
      // Not a poll: the state is named Hand Over, though its output looks like one.
      {
        type: 'TaskStateExited',
        timestamp: when,
        stateExitedEventDetails: { name: 'Hand Over', output: JSON.stringify(round.ended) },
      },
      {
        type: 'ChoiceStateEntered',
        timestamp: when,
        stateEnteredEventDetails: { name: 'Handed Over Again?' },
      },
      { type: 'ChoiceStateExited', timestamp: when, stateExitedEventDetails: { name: 'Handed Over Again?' } },
    );
  }
  return oldestFirst.map((event, index) => ({ ...event, id: firstId + index })).reverse();
}
