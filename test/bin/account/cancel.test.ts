import { BatchClient, BatchServiceException, TerminateJobCommand } from '@aws-sdk/client-batch';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { described, executionArn, historyNewestFirst, NOW, onlyJson, pollState, run } from './harness';

const sfn = mockClient(SFNClient);
const batch = mockClient(BatchClient);

beforeEach(() => {
  sfn.reset();
  batch.reset();
  sfn.on(StopExecutionCommand).resolves({ stopDate: new Date(NOW) });
  // --terminate-job reads the history to learn the wait's job system; none before the first poll.
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
  batch.on(TerminateJobCommand).resolves({});
});

const NAME = 'nightly-etl';
const ARN = executionArn(NAME);

function execution(fields: Record<string, unknown>): void {
  sfn.on(DescribeExecutionCommand, { executionArn: ARN }).resolves(described(NAME, fields) as never);
}

const terminations = () => batch.commandCalls(TerminateJobCommand).map((call) => call.args[0].input);

describe('stepwait cancel', () => {
  it('stops the execution with StepWait.Cancelled and the reason as a JSON cause; jobs untouched', async () => {
    execution({ status: 'RUNNING' });
    const { code, stdout } = await run('cancel', [ARN, '--reason', 'wrong queue']);
    expect(code).toBe(0);
    expect(sfn.commandCalls(StopExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: ARN, error: 'StepWait.Cancelled', cause: '{"reason":"wrong queue"}' },
    ]);
    expect(batch.calls()).toHaveLength(0);
    expect(stdout).toMatch(/^stopped +yes \(StepWait\.Cancelled: wrong queue\)$/m);
  });

  it('--terminate-job: TerminateJob for each job id of the input, with the reason', async () => {
    execution({ status: 'RUNNING', input: JSON.stringify({ jobIds: ['job-1', 'job-2', 'job-1'] }) });
    const { code, stdout } = await run('cancel', [
      ARN,
      '--terminate-job',
      '--reason',
      'superseded',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(terminations()).toEqual([
      { jobId: 'job-1', reason: 'superseded' },
      { jobId: 'job-2', reason: 'superseded' },
    ]);
    expect(onlyJson(stdout)).toEqual({
      executionArn: ARN,
      name: NAME,
      stopped: true,
      previousStatus: 'RUNNING',
      reason: 'superseded',
      jobIds: ['job-1', 'job-2'],
      terminatedJobs: ['job-1', 'job-2'],
      failedJobs: [],
    });
    // Stopped before the jobs are terminated, so the wait ends ABORTED, not JobFailed.
    const stop = sfn.commandCalls(StopExecutionCommand)[0];
    const terminate = batch.commandCalls(TerminateJobCommand)[0];
    expect(stop?.calledBefore(terminate as never)).toBe(true);
  });

  it('--terminate-job on a --job-id wait, with the default reason', async () => {
    execution({ status: 'RUNNING', input: JSON.stringify({ jobId: 'job-9', timeoutSeconds: 60 }) });
    await run('cancel', [ARN, '--terminate-job']);
    expect(terminations()).toEqual([{ jobId: 'job-9', reason: 'cancelled with stepwait cancel' }]);
    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input.cause).toBe(
      '{"reason":"cancelled with stepwait cancel"}',
    );
  });

  it('--terminate-job on a business-key wait: the job id the newest poll resolved', async () => {
    execution({ status: 'RUNNING', input: JSON.stringify({ jobName: 'nightly-etl', jobQueue: 'q' }) });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolves({ events: historyNewestFirst(pollState({ jobIds: ['resolved-7'] })) });
    const { code } = await run('cancel', [ARN, '--terminate-job', '--reason', 'stop']);
    expect(code).toBe(0);
    expect(terminations()).toEqual([{ jobId: 'resolved-7', reason: 'stop' }]);
  });

  it('--terminate-job on a DQOps wait: refused (exit 2) before anything is stopped', async () => {
    execution({ status: 'RUNNING', input: JSON.stringify({ jobId: '1736087412000001' }) });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolves({ events: historyNewestFirst(pollState({ system: 'dqops', jobIds: ['1736087412000001'] })) });
    const { code, stderr } = await run('cancel', [ARN, '--terminate-job']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--terminate-job: this wait polls dqops jobs/);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(batch.calls()).toHaveLength(0);
  });

  it('--terminate-job before the job name resolved: nothing to terminate, said so', async () => {
    execution({ status: 'RUNNING', input: JSON.stringify({ jobName: 'nightly-etl', jobQueue: 'q' }) });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolves({ events: historyNewestFirst(pollState({ jobIds: [], jobs: [] })) });
    const { code, stdout } = await run('cancel', [ARN, '--terminate-job']);
    expect(code).toBe(0);
    expect(batch.calls()).toHaveLength(0);
    expect(stdout).toMatch(/^terminated +nothing: no job id known yet/m);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(1);
  });

  it('does not stop an execution that already ended, but still terminates its jobs when asked', async () => {
    execution({ status: 'FAILED', stopDate: new Date(NOW), error: 'StepWait.Timeout' });
    const { code, stdout } = await run('cancel', [ARN, '--terminate-job']);
    expect(code).toBe(0);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(terminations()).toEqual([{ jobId: 'job-1', reason: 'cancelled with stepwait cancel' }]);
    expect(stdout).toMatch(/^stopped +no, it had already ended FAILED$/m);
  });

  it('reports a TerminateJob that failed (exit 1) and still terminates the others', async () => {
    execution({ status: 'RUNNING', input: JSON.stringify({ jobIds: ['gone', 'job-2'] }) });
    batch.on(TerminateJobCommand, { jobId: 'gone' }).rejects(
      new BatchServiceException({
        name: 'ClientException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Job gone not found',
      }),
    );
    const { code, stdout } = await run('cancel', [ARN, '--terminate-job']);
    expect(code).toBe(1);
    expect(terminations().map((input) => input.jobId)).toEqual(['gone', 'job-2']);
    expect(stdout).toMatch(/^terminated +job-2$/m);
    expect(stdout).toMatch(/^failed +gone: ClientException: Job gone not found$/m);
  });

  it.each([
    [[], /EXECUTION is missing/],
    [[ARN, '--reason', ''], /--reason: must not be empty/],
    [[ARN, '--reason', 'x'.repeat(1_025)], /--reason: at most 1024 characters/],
    [[ARN, '--terminate'], /Unknown option '--terminate'/],
  ])('%j: exit 2 with the usage, nothing called', async (args, message) => {
    const { code, stderr } = await run('cancel', args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('Usage: stepwait cancel EXECUTION');
    expect(sfn.calls()).toHaveLength(0);
    expect(batch.calls()).toHaveLength(0);
  });
});
