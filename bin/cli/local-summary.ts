import type { LocalRunReport } from '../../lib/local/local-run';
import { formatDuration } from './usage-error';

/** What a cause or an output says of one job (waiters/cause.ts, waiters/batch/summary.ts). */
interface JobDetails {
  jobName?: string;
  status?: string;
  statusReason?: string;
  exitCode?: number;
  logStreamName?: string;
}

/** A stepwait cause (`{ reason, jobs: { <id>: details } }`) read back, or the plain text of any other. */
function readCause(cause: string | null): { reason?: string; jobs: [string, JobDetails][]; text?: string } {
  if (cause === null) return { jobs: [] };
  try {
    const parsed = JSON.parse(cause) as { reason?: unknown; jobs?: unknown; omittedJobs?: unknown };
    if (typeof parsed === 'object' && parsed !== null && typeof parsed.reason === 'string') {
      const jobs =
        typeof parsed.jobs === 'object' && parsed.jobs !== null
          ? (Object.entries(parsed.jobs) as [string, JobDetails][])
          : [];
      return { reason: parsed.reason, jobs };
    }
  } catch {
    // Not JSON: a cause of Step Functions' own (States.Runtime, ...) or of the host's own states.
  }
  return { jobs: [], text: cause };
}

/** `<id> (<name>) FAILED: Essential container in task exited, exit code 1, log stream job/default/abc` */
function formatJob(jobId: string, job: JobDetails): string {
  const details = [
    job.statusReason,
    job.exitCode === undefined ? undefined : `exit code ${job.exitCode}`,
    job.logStreamName === undefined ? undefined : `log stream ${job.logStreamName}`,
  ].filter((part) => part !== undefined && part !== '');
  const name = job.jobName ? ` (${job.jobName})` : '';
  return `${jobId}${name} ${job.status ?? 'not visible yet'}${details.length > 0 ? `: ${details.join(', ')}` : ''}`;
}

/**
 * Why a wait did not succeed, as `--json` has it in `cause` (or, for a deadline passed under
 * --no-fail-on-timeout, in the output's jobs): the reason, and each job's status reason, exit code and log
 * stream. The error name is on the outcome row already.
 */
function failureRows(report: LocalRunReport): [string, string][] {
  if (report.status === 'SUCCEEDED') return [];
  const rows: [string, string][] = [];
  const cause = readCause(report.cause);
  if (cause.reason !== undefined) rows.push(['reason', cause.reason]);
  if (cause.text !== undefined) rows.push(['cause', cause.text]);
  const outputJobs = (report.output as { jobs?: ({ jobId: string } & JobDetails)[] } | null)?.jobs;
  const jobs =
    cause.jobs.length > 0
      ? cause.jobs
      : Array.isArray(outputJobs)
        ? outputJobs.map((job): [string, JobDetails] => [job.jobId, job])
        : [];
  jobs.forEach(([jobId, job], index) => {
    rows.push([index === 0 ? (jobs.length > 1 ? 'jobs' : 'job') : '', formatJob(jobId, job)]);
  });
  return rows;
}

/** The summary after a local run: the outcome (and why, if it did not succeed), then the figures. */
export function summaryTable(report: LocalRunReport, realSeconds: number): string {
  const polls = Object.entries(report.polls)
    .map(([stage, count]) => `${stage} ${count}`)
    .join(', ');
  const rows: [string, string][] = [
    [
      'outcome',
      report.error
        ? `${report.status} (${report.error})`
        : report.status === report.executionStatus
          ? report.status
          : `${report.status} (Step Functions: ${report.executionStatus})`,
    ],
    ...failureRows(report),
    ['polls per stage', polls === '' ? 'none' : polls],
    ['state transitions', String(report.stateTransitions)],
    ['Lambda invocations', String(report.lambdaInvocations)],
    ['history events', `${report.historyEvents} (limit 25,000 per execution)`],
    ['executions', String(report.executions)],
    ['virtual time waited', formatDuration(report.simulatedSeconds)],
    [
      'detection latency',
      report.detectionLatencySeconds === null
        ? '-'
        : `${formatDuration(report.detectionLatencySeconds)} after the job ended`,
    ],
    ['throttled status calls', String(report.throttledCalls)],
    ...(report.wakeUps === undefined
      ? []
      : ([
          [
            'parks',
            `${report.wakeUps.parks}: ${report.wakeUps.wokenByEvent} woken by events, ${report.wakeUps.wokenBySweeper} by the sweeper, ${report.wakeUps.wokenByCallback ? `${report.wakeUps.wokenByCallback} by callback, ` : ''}${report.wakeUps.wokenByRecheck} at once (the job had moved), ${report.wakeUps.timedOut} by their timeout`,
          ],
          ['state-change events', String(report.wakeUps.events)],
          ...(typeof (report.output as { callbackUrl?: unknown } | null)?.callbackUrl === 'string'
            ? [
                ['callback URL', String((report.output as { callbackUrl: string }).callbackUrl)] as [
                  string,
                  string,
                ],
              ]
            : []),
        ] as [string, string][])),
    ...(report.registry === undefined
      ? []
      : ([
          [
            'registry',
            `${report.registry.writes} writes; ${report.registry.waits.map((wait) => `${wait.tethysStatus} (${wait.status})`).join(', ')}`,
          ],
        ] as [string, string][])),
    ['estimated AWS cost', `$${report.estimatedCostUsd.toFixed(6)}`],
    ['real time', `${realSeconds.toFixed(2)} s`],
  ];
  return rows.map(([name, value]) => `  ${name.padEnd(22)} ${value}`).join('\n');
}
