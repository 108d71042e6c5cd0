import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { formatDuration } from '../usage-error';
import type { AwsClients } from './clients';
import type { CommandContext } from './context';
import { buildReport, type ExecutionReport } from './report';

/** One line of progress: stage and attempt, the jobs' statuses, time waited and time left. */
export function progressLine(report: ExecutionReport, nowMs: number): string {
  const handOver = report.handOvers ? ` (hand-over ${report.handOvers})` : '';
  const stage = `${report.stage === null ? 'starting' : `${report.stage} attempt ${report.attempt ?? 0}`}${handOver}`;
  const jobs =
    report.jobs.length === 0
      ? 'job not visible yet'
      : report.jobs.length === 1
        ? `job ${report.jobs[0]?.status ?? '?'}`
        : `jobs ${report.jobs.map((job) => job.status ?? '?').join(', ')}`;
  const left =
    report.deadline === null
      ? ''
      : `, deadline in ${formatDuration(Math.max(0, (Date.parse(report.deadline) - nowMs) / 1000))}`;
  return `${report.name}: ${report.status}, ${stage}, ${jobs}, waited ${formatDuration(report.waitedSeconds)}${left}`;
}

/**
 * Follows an execution until it ends and returns its final report. Each round is one DescribeExecution
 * (plus, while it runs, a GetExecutionHistory page of it for the stage and jobs, and after a hand-over one
 * of its newest segment: see readWaitLocation), then `context.sleep`. With
 * `show`, a status line goes to stderr: redrawn in place on a terminal; elsewhere (CI logs) a new line
 * only when the stage or a job's status changes, not every round.
 */
export async function followExecution(
  clients: AwsClients,
  executionArn: string,
  context: CommandContext,
  show: boolean,
): Promise<ExecutionReport> {
  const { output } = context;
  let shown = '';
  let drawn = false;
  for (;;) {
    const described = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const report = await buildReport(clients.sfn, described, context.now());
    if (report.status !== 'RUNNING') {
      if (drawn) output.err('\r\x1b[2K');
      return report;
    }
    if (show) {
      const line = progressLine(report, context.now());
      if (output.live) {
        output.err(`\r\x1b[2K${line}`);
        drawn = true;
      } else {
        const key = `${report.stage} ${report.handOvers} ${report.jobs.map((job) => job.status).join(',')}`;
        if (key !== shown) output.err(`${line}\n`);
        shown = key;
      }
    }
    await context.sleep(context.pollIntervalMs);
  }
}
