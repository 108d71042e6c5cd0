import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  SFNClient,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { described, executionArn, MACHINE_ARN, NOW, onlyJson, run } from './harness';

const sfn = mockClient(SFNClient);

beforeEach(() => {
  sfn.reset();
});

/** An execution `minutes` minutes old, and what DescribeExecution tells of it. */
function execution(
  name: string,
  status: string,
  minutes: number,
  details: Record<string, unknown> = {},
): ExecutionListItem {
  const item = {
    executionArn: executionArn(name),
    stateMachineArn: MACHINE_ARN,
    name,
    status,
    startDate: new Date(NOW - minutes * 60_000),
    ...(status === 'RUNNING' ? {} : { stopDate: new Date(NOW - minutes * 60_000 + 30_000) }),
  } as ExecutionListItem;
  sfn
    .on(DescribeExecutionCommand, { executionArn: item.executionArn })
    .resolves(described(name, { ...item, ...details }) as never);
  return item;
}

const running = () => execution('running', 'RUNNING', 1);
const succeeded = () =>
  execution('succeeded', 'SUCCEEDED', 2, { output: '{"status":"SUCCEEDED","timedOut":false}' });
const quietTimeout = () =>
  execution('quiet-timeout', 'SUCCEEDED', 3, { output: '{"status":"TIMED_OUT","timedOut":true}' });
const failedTimeout = () => execution('failed-timeout', 'FAILED', 4, { error: 'StepWait.Timeout' });
const jobFailed = () => execution('job-failed', 'FAILED', 5, { error: 'StepWait.JobFailed' });
const backstop = () => execution('backstop', 'TIMED_OUT', 6);
const aborted = () => execution('aborted', 'ABORTED', 7);

const ARN_ARGS = ['--state-machine-arn', MACHINE_ARN];

function listCalls(): Record<string, unknown>[] {
  return sfn.commandCalls(ListExecutionsCommand).map((call) => call.args[0].input as Record<string, unknown>);
}

describe('stepwait list', () => {
  it("shows every wait in stepwait's statuses: a table of name, status, start and stop", async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        running(),
        succeeded(),
        quietTimeout(),
        failedTimeout(),
        jobFailed(),
        backstop(),
        aborted(),
      ],
    });
    const { code, stdout } = await run('list', ARN_ARGS);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME +STATUS +STARTED +STOPPED$/);
    expect(lines.slice(1).map((line) => line.split(/ +/).slice(0, 2))).toEqual([
      ['running', 'RUNNING'],
      ['succeeded', 'SUCCEEDED'],
      ['quiet-timeout', 'TIMED_OUT'],
      ['failed-timeout', 'TIMED_OUT'],
      ['job-failed', 'FAILED'],
      ['backstop', 'TIMED_OUT'],
      ['aborted', 'ABORTED'],
    ]);
    expect(lines[1]).toMatch(/ 2025-06-11T02:14:00Z +-$/);
    expect(lines[2]).toMatch(/ 2025-06-11T02:13:00Z +2025-06-11T02:13:30Z$/);
    expect(listCalls()).toEqual([{ stateMachineArn: MACHINE_ARN, maxResults: 20 }]);
    // Only SUCCEEDED and FAILED executions need their details.
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(4);
  });

  it('--status RUNNING: Step Functions filters, nothing described', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [running()] });
    const { code, stdout } = await run('list', ['--status', 'running', '--max', '5', ...ARN_ARGS, '--json']);
    expect(code).toBe(0);
    expect(listCalls()).toEqual([{ stateMachineArn: MACHINE_ARN, statusFilter: 'RUNNING', maxResults: 5 }]);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    expect(onlyJson(stdout)).toEqual({
      stateMachineArn: MACHINE_ARN,
      status: 'RUNNING',
      max: 5,
      scanLimited: false,
      executions: [
        {
          name: 'running',
          executionArn: executionArn('running'),
          status: 'RUNNING',
          executionStatus: 'RUNNING',
          startDate: new Date(NOW - 60_000).toISOString(),
          stopDate: null,
        },
      ],
    });
  });

  it('--status FAILED leaves out the failures that are timeouts', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [failedTimeout(), jobFailed()] });
    const { stdout } = await run('list', ['--status', 'FAILED', ...ARN_ARGS, '--json']);
    const { executions } = onlyJson(stdout) as { executions: { name: string }[] };
    expect(executions.map((row) => row.name)).toEqual(['job-failed']);
    expect(listCalls()[0]).toMatchObject({ statusFilter: 'FAILED' });
  });

  it('--status TIMED_OUT merges the three kinds of timeout, newest first', async () => {
    sfn.on(ListExecutionsCommand, { statusFilter: 'TIMED_OUT' }).resolves({ executions: [backstop()] });
    sfn
      .on(ListExecutionsCommand, { statusFilter: 'FAILED' })
      .resolves({ executions: [failedTimeout(), jobFailed()] });
    sfn
      .on(ListExecutionsCommand, { statusFilter: 'SUCCEEDED' })
      .resolves({ executions: [succeeded(), quietTimeout()] });
    const { code, stdout } = await run('list', ['--status', 'TIMED_OUT', ...ARN_ARGS, '--json']);
    expect(code).toBe(0);
    const { executions } = onlyJson(stdout) as {
      executions: { name: string; status: string; executionStatus: string }[];
    };
    expect(executions.map((row) => [row.name, row.status, row.executionStatus])).toEqual([
      ['quiet-timeout', 'TIMED_OUT', 'SUCCEEDED'],
      ['failed-timeout', 'TIMED_OUT', 'FAILED'],
      ['backstop', 'TIMED_OUT', 'TIMED_OUT'],
    ]);
    expect(listCalls().map((input) => input.statusFilter)).toEqual(['TIMED_OUT', 'FAILED', 'SUCCEEDED']);
  });

  it('pages on while the filter drops rows, and stops at --max', async () => {
    sfn
      .on(ListExecutionsCommand)
      .resolvesOnce({ executions: [quietTimeout()], nextToken: 'next' })
      .resolvesOnce({
        executions: [succeeded(), execution('older', 'SUCCEEDED', 9, { output: '{}' })],
        nextToken: 'more',
      });
    const { stdout } = await run('list', ['--status', 'SUCCEEDED', '--max', '1', ...ARN_ARGS, '--json']);
    const { executions } = onlyJson(stdout) as { executions: { name: string }[] };
    expect(executions.map((row) => row.name)).toEqual(['succeeded']);
    expect(listCalls()).toEqual([
      { stateMachineArn: MACHINE_ARN, statusFilter: 'SUCCEEDED', maxResults: 100 },
      { stateMachineArn: MACHINE_ARN, statusFilter: 'SUCCEEDED', maxResults: 100, nextToken: 'next' },
    ]);
  });

  it('says when there is nothing to list', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    const { code, stdout } = await run('list', ['--status', 'ABORTED', ...ARN_ARGS]);
    expect(code).toBe(0);
    expect(stdout).toBe(`no ABORTED executions of ${MACHINE_ARN}\n`);
  });

  it('names the state machine when it does not exist (exit 2)', async () => {
    sfn
      .on(ListExecutionsCommand)
      .rejects(new StateMachineDoesNotExist({ message: 'does not exist', $metadata: {} }));
    const { code, stderr } = await run('list', ARN_ARGS);
    expect(code).toBe(2);
    expect(stderr).toContain(`state machine not found: ${MACHINE_ARN} (from --state-machine-arn)`);
  });

  it.each([
    [
      ['--status', 'DONE'],
      /--status: expected SUCCEEDED \| FAILED \| TIMED_OUT \| RUNNING \| ABORTED, got "DONE"/,
    ],
    [['--max', '0'], /--max: expected a whole number from 1 to 1000, got "0"/],
    [['--max', '1001'], /--max: expected a whole number from 1 to 1000/],
    [['--max', 'ten'], /--max: expected a whole number/],
    [['extra'], /Unexpected argument 'extra'|unexpected argument "extra"/],
  ])('%j: exit 2 with the usage, nothing called', async (args, message) => {
    const { code, stderr } = await run('list', [...(args as string[]), ...ARN_ARGS]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('Usage: stepwait list');
    expect(sfn.calls()).toHaveLength(0);
  });
});
