import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { AwsClients } from './clients';
import type { CommandContext } from './context';
import { progressLine } from './progress-line';
import { buildReport, type ExecutionReport } from './report';

/** The width assumed for a terminal that does not say its own. */
const DEFAULT_COLUMNS = 80;

/**
 * Follows an execution until it ends and returns its final report. Each round is one DescribeExecution
 * (plus, while it runs, a GetExecutionHistory page of it for the stage and jobs, and after a hand-over one
 * of its newest segment: see readWaitLocation), then `context.sleep`. With
 * `show`, a status line goes to stderr: on a terminal redrawn in place and fitted to its width (read each
 * round, so a resized window is followed); elsewhere (CI logs, a file) in full, a new line only when the
 * stage or a job's status changes, not every round.
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
      if (output.live) {
        output.err(`\r\x1b[2K${progressLine(report, context.now(), output.columns ?? DEFAULT_COLUMNS)}`);
        drawn = true;
      } else {
        const key = `${report.stage} ${report.handOvers} ${report.jobs.map((job) => job.status).join(',')}`;
        if (key !== shown) output.err(`${progressLine(report, context.now())}\n`);
        shown = key;
      }
    }
    await context.sleep(context.pollIntervalMs);
  }
}
