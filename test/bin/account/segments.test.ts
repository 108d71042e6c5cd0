import { BatchClient, TerminateJobCommand } from '@aws-sdk/client-batch';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  described,
  executionArn,
  handOverNewestFirst,
  historyNewestFirst,
  NOW,
  onlyJson,
  pollState,
  run,
  segmentArn,
} from './harness';

/**
 * A long wait hands over to fresh segment executions (lib/wait-fragment.ts `Hand Over`): the main
 * execution's own newest poll is then old, and the wait is where its newest segment's history says.
 */
const sfn = mockClient(SFNClient);
const batch = mockClient(BatchClient);

beforeEach(() => {
  sfn.reset();
  batch.reset();
  sfn.on(StopExecutionCommand).resolves({ stopDate: new Date(NOW) });
  batch.on(TerminateJobCommand).resolves({});
});

const NAME = 'nightly-etl';
const ARN = executionArn(NAME);
const FIRST = '5f1c2a9e-0b7d-4c33-9a51-1e2f3a4b5c6d';
const SECOND = '9d8e7f60-1a2b-4c3d-8e9f-a0b1c2d3e4f5';

/** The main execution's poll that spent its budget: stage JobRunning, long ago. */
const mainState = pollState({
  state: 'continue',
  stageIndex: 1,
  attempt: 1_800,
  deadline: '2025-06-20T01:00:05.000Z',
  jobs: [{ jobId: 'job-1', status: 'RUNNABLE' }],
});
/** Where the first segment ended (continued again): JobComplete attempt 1,200. */
const firstSegmentEnd = pollState({
  state: 'continue',
  continued: true,
  segments: 2,
  attempt: 1_200,
  deadline: '2025-06-20T01:00:05.000Z',
  jobs: [{ jobId: 'job-1', status: 'RUNNING' }],
});
/** The second segment's newest poll: where the wait is now. */
const now = pollState({
  segments: 3,
  attempt: 7,
  deadline: '2025-06-20T01:00:05.000Z',
  jobs: [{ jobId: 'job-1', jobName: 'nightly-etl', status: 'STARTING' }],
});

/** The main history, newest first: polls, then hand-over 1 (ended, continued), then hand-over 2 (running). */
function mainHistory(second: Partial<Parameters<typeof handOverNewestFirst>[0]> = {}): HistoryEvent[] {
  return [
    ...handOverNewestFirst({ number: 2, state: firstSegmentEnd, segmentName: SECOND, ...second }, 120),
    ...handOverNewestFirst({ number: 1, state: mainState, segmentName: FIRST, ended: firstSegmentEnd }, 105),
    ...historyNewestFirst(mainState, 100),
  ];
}

function waitHandedOverTwice(fields: Record<string, unknown> = { status: 'RUNNING' }): void {
  sfn.on(DescribeExecutionCommand, { executionArn: ARN }).resolves(described(NAME, fields) as never);
  sfn.on(GetExecutionHistoryCommand, { executionArn: ARN }).resolves({ events: mainHistory() });
  sfn
    .on(GetExecutionHistoryCommand, { executionArn: segmentArn(FIRST) })
    .resolves({ events: historyNewestFirst(firstSegmentEnd, 500) });
  sfn
    .on(GetExecutionHistoryCommand, { executionArn: segmentArn(SECOND) })
    .resolves({ events: historyNewestFirst(now, 40) });
}

const historiesRead = () =>
  sfn.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input.executionArn);

const accessDenied = () =>
  new SFNServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'not authorized to perform: states:GetExecutionHistory',
  });

describe('stepwait status of a wait that handed over', () => {
  it("shows the newest segment's stage, attempt, jobs and deadline, and says which segment", async () => {
    waitHandedOverTwice();
    const { code, stdout, stderr } = await run('status', [ARN, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(onlyJson(stdout)).toMatchObject({
      status: 'RUNNING',
      stage: 'JobComplete',
      attempt: 7,
      jobs: [{ jobId: 'job-1', jobName: 'nightly-etl', status: 'STARTING' }],
      deadline: '2025-06-20T01:00:05.000Z',
      handOvers: 2,
      segment: { name: SECOND, executionArn: segmentArn(SECOND) },
      stateSource: 'segment',
      segmentNotRead: null,
    });
    // The main's history, then only the newest segment's: the first segment is over.
    expect(historiesRead()).toEqual([ARN, segmentArn(SECOND)]);
    for (const call of sfn.commandCalls(GetExecutionHistoryCommand)) {
      expect(call.args[0].input).toMatchObject({ reverseOrder: true, maxResults: 100 });
    }

    const text = await run('status', [ARN]);
    expect(text.stdout).toMatch(/^stage +JobComplete, attempt 7$/m);
    expect(text.stdout).toMatch(/^segment +9d8e7f60-1a2b-4c3d-8e9f-a0b1c2d3e4f5 \(hand-over 2\)$/m);
    expect(text.stdout).toMatch(/^job +job-1 \(nightly-etl\) STARTING$/m);
    expect(text.stdout).not.toMatch(/^note/m);
  });

  it('finds the segment from the Name in the parameters before Step Functions reports it started', async () => {
    sfn
      .on(DescribeExecutionCommand, { executionArn: ARN })
      .resolves(described(NAME, { status: 'RUNNING' }) as never);
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: ARN })
      .resolves({ events: mainHistory({ submitted: false, named: true }) });
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: segmentArn(SECOND) })
      .resolves({ events: historyNewestFirst(now, 40) });
    const { stdout } = await run('status', [ARN, '--json']);
    expect(onlyJson(stdout)).toMatchObject({ attempt: 7, segment: { name: SECOND }, stateSource: 'segment' });
    expect(historiesRead()).toEqual([ARN, segmentArn(SECOND)]);
  });

  it('before the segment polls, shows the state it was handed (its input)', async () => {
    sfn
      .on(DescribeExecutionCommand, { executionArn: ARN })
      .resolves(described(NAME, { status: 'RUNNING' }) as never);
    sfn.on(GetExecutionHistoryCommand, { executionArn: ARN }).resolves({ events: mainHistory() });
    sfn.on(GetExecutionHistoryCommand, { executionArn: segmentArn(SECOND) }).resolves({
      events: [
        {
          id: 2,
          type: 'PassStateEntered',
          timestamp: new Date(NOW),
          stateEnteredEventDetails: { name: 'Start' },
        },
        {
          id: 1,
          type: 'ExecutionStarted',
          timestamp: new Date(NOW),
          executionStartedEventDetails: { input: JSON.stringify({ handOver: firstSegmentEnd }) },
        },
      ],
    });
    const { stdout } = await run('status', [ARN, '--json']);
    expect(onlyJson(stdout)).toMatchObject({
      stage: 'JobComplete',
      attempt: 1_200,
      jobs: [{ status: 'RUNNING' }],
      handOvers: 2,
      stateSource: 'segment',
    });
  });

  it("falls back to the main execution's newest poll when the segment's history cannot be read, and says so", async () => {
    waitHandedOverTwice();
    sfn.on(GetExecutionHistoryCommand, { executionArn: segmentArn(SECOND) }).rejects(accessDenied());
    const { code, stdout } = await run('status', [ARN, '--json']);
    expect(code).toBe(0);
    const report = onlyJson(stdout);
    expect(report).toMatchObject({
      status: 'RUNNING',
      stage: 'JobRunning',
      attempt: 1_800,
      jobs: [{ jobId: 'job-1', status: 'RUNNABLE' }],
      handOvers: 2,
      segment: { name: SECOND, executionArn: segmentArn(SECOND) },
      stateSource: 'execution',
    });
    expect(report.segmentNotRead).toBe(
      `cannot read the history of segment ${SECOND}: AccessDeniedException: not authorized to perform: states:GetExecutionHistory`,
    );

    const text = await run('status', [ARN]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^stage +JobRunning, attempt 1800$/m);
    expect(text.stdout).toMatch(/^segment +9d8e7f60-1a2b-4c3d-8e9f-a0b1c2d3e4f5 \(hand-over 2\)$/m);
    expect(text.stdout).toMatch(
      /^note +cannot read the history of segment 9d8e7f60-\S+: AccessDeniedException: .*; stage and jobs are this execution's last poll, from before the hand-over$/m,
    );
  });

  it('falls back too while the segment is being started and nothing names it yet', async () => {
    sfn
      .on(DescribeExecutionCommand, { executionArn: ARN })
      .resolves(described(NAME, { status: 'RUNNING' }) as never);
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: ARN })
      .resolves({ events: mainHistory({ submitted: false }) });
    const { stdout } = await run('status', [ARN, '--json']);
    expect(onlyJson(stdout)).toMatchObject({
      stage: 'JobRunning',
      attempt: 1_800,
      handOvers: 2,
      segment: null,
      stateSource: 'execution',
      segmentNotRead: expect.stringMatching(/^the segment is being started/),
    });
    expect(historiesRead()).toEqual([ARN]);
  });

  it("a failed wait: the error is the main execution's, stage and jobs the segment's", async () => {
    waitHandedOverTwice({
      status: 'FAILED',
      stopDate: new Date(NOW),
      error: 'StepWait.JobFailed',
      cause: JSON.stringify({ reason: 'JobComplete: job job-1 failed', jobs: {} }),
    });
    const { stdout } = await run('status', [ARN, '--json']);
    expect(onlyJson(stdout)).toMatchObject({
      status: 'FAILED',
      error: 'StepWait.JobFailed',
      stage: 'JobComplete',
      attempt: 7,
      handOvers: 2,
    });
  });

  it('reads at most 3 pages of 100 events per execution, newest first', async () => {
    // The newest hand-over at the end of a page, its TaskScheduled on the next.
    const handOver = handOverNewestFirst({ number: 5, state: firstSegmentEnd, segmentName: SECOND }, 900);
    const retries = (from: number): HistoryEvent[] =>
      Array.from({ length: 100 }, (_, index) => ({
        id: from - index,
        type: 'TaskFailed' as const,
        timestamp: new Date(NOW),
        taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'Lambda.Unknown' },
      }));
    const histories = () => {
      sfn.reset();
      sfn
        .on(DescribeExecutionCommand, { executionArn: ARN })
        .resolves(described(NAME, { status: 'RUNNING' }) as never);
      sfn
        .on(GetExecutionHistoryCommand, { executionArn: ARN })
        .resolvesOnce({ events: handOver.slice(0, 2), nextToken: 'main-2' })
        .resolvesOnce({ events: handOver.slice(2), nextToken: 'main-3' })
        .resolves({ events: retries(800), nextToken: 'more' });
      let page = 0;
      sfn
        .on(GetExecutionHistoryCommand, { executionArn: segmentArn(SECOND) })
        .callsFake(() => ({ events: retries(10_000 - 100 * page++), nextToken: `segment-${page}` }));
    };
    histories();
    const { stdout } = await run('status', [ARN, '--json']);
    const report = onlyJson(stdout);
    // Segment: 3 pages without a poll; main: its hand-over over 2 pages, then 1 more looking for its poll.
    expect(historiesRead()).toEqual([
      ARN,
      ARN,
      segmentArn(SECOND),
      segmentArn(SECOND),
      segmentArn(SECOND),
      ARN,
    ]);
    expect(report).toMatchObject({ stage: null, handOvers: 5, segment: { name: SECOND }, stateSource: null });
    expect(report.segmentNotRead).toMatch(
      /no poll state in the newest events of segment .*no poll of this execution/,
    );
    for (const call of sfn.commandCalls(GetExecutionHistoryCommand)) {
      expect(call.args[0].input).toMatchObject({
        reverseOrder: true,
        maxResults: 100,
        includeExecutionData: true,
      });
    }
    histories();
    const text = (await run('status', [ARN])).stdout;
    expect(text).toMatch(/^stage +not known \(see note\)$/m);
    expect(text).toMatch(/^note +no poll state .*; no stage known$/m);
  });

  it('a wait that has not handed over reads one history and says none', async () => {
    sfn
      .on(DescribeExecutionCommand, { executionArn: ARN })
      .resolves(described(NAME, { status: 'RUNNING' }) as never);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: historyNewestFirst(pollState()) });
    const { stdout } = await run('status', [ARN, '--json']);
    expect(onlyJson(stdout)).toMatchObject({
      handOvers: 0,
      segment: null,
      stateSource: 'execution',
      segmentNotRead: null,
    });
    expect(historiesRead()).toEqual([ARN]);
    expect((await run('status', [ARN])).stdout).not.toMatch(/^segment/m);
  });
});

describe('stepwait start --wait of a wait that hands over', () => {
  it("follows the newest segment's stage and jobs", async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: executionArn('job-job-1'), startDate: new Date(NOW) });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(described('job-job-1', { status: 'RUNNING' }) as never)
      .resolves(
        described('job-job-1', {
          status: 'FAILED',
          stopDate: new Date(NOW),
          error: 'StepWait.Timeout',
          cause: JSON.stringify({ reason: 'deadline passed', jobs: {} }),
        }) as never,
      );
    sfn.on(GetExecutionHistoryCommand).resolves({ events: mainHistory() });
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: segmentArn(SECOND) })
      .resolves({ events: historyNewestFirst(now, 40) });
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: segmentArn(FIRST) })
      .resolves({ events: historyNewestFirst(firstSegmentEnd, 500) });
    const { code, stdout, stderr } = await run('start', [
      '--job-id',
      'job-1',
      '--wait',
      '--state-machine-arn',
      'arn:aws:states:us-east-1:123456789012:stateMachine:M',
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('job-job-1: RUNNING, JobComplete attempt 7 (hand-over 2), job STARTING');
    expect(stdout).toMatch(/^status +TIMED_OUT \(Step Functions: FAILED\)$/m);
    expect(stdout).toMatch(/^stage +JobComplete, attempt 7$/m);
    expect(stdout).toMatch(/^segment +9d8e7f60-\S+ \(hand-over 2\)$/m);
  });
});

describe('stepwait cancel --terminate-job of a wait that handed over', () => {
  it('terminates the job a business-key wait resolved in a segment', async () => {
    const unresolved = { jobIds: [], jobs: [] };
    sfn.on(DescribeExecutionCommand, { executionArn: ARN }).resolves(
      described(NAME, {
        status: 'RUNNING',
        input: JSON.stringify({ jobName: 'nightly-etl', jobQueue: 'etl-queue' }),
      }) as never,
    );
    sfn.on(GetExecutionHistoryCommand, { executionArn: ARN }).resolves({
      events: [
        ...handOverNewestFirst(
          { number: 1, state: { ...mainState, ...unresolved }, segmentName: FIRST },
          105,
        ),
        ...historyNewestFirst({ ...mainState, ...unresolved }, 100),
      ],
    });
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: segmentArn(FIRST) })
      .resolves({ events: historyNewestFirst(pollState({ jobIds: ['found-in-segment'] }), 40) });
    const { code, stdout } = await run('cancel', [ARN, '--terminate-job', '--reason', 'rerun', '--json']);
    expect(code).toBe(0);
    expect(batch.commandCalls(TerminateJobCommand).map((call) => call.args[0].input)).toEqual([
      { jobId: 'found-in-segment', reason: 'rerun' },
    ]);
    expect(onlyJson(stdout)).toMatchObject({ stopped: true, terminatedJobs: ['found-in-segment'] });
    expect(historiesRead()).toEqual([ARN, segmentArn(FIRST)]);
  });
});
