import type { DescribeExecutionCommandOutput, SFNClient } from '@aws-sdk/client-sfn';
import { formatDuration } from '../usage-error';
import { isoSeconds, rows } from './io';
import { isRecord, outcomeOf, parseJson, reasonOf, type WaitOutcome } from './outcome';
import { type JobView, jobViews, type StageView, stageViews } from './poll-state';
import { readWaitLocation, type SegmentRef } from './wait-location';

/** One wait as `stepwait status` reports it; also the JSON of `status --json` and `start --wait --json`. */
export interface ExecutionReport {
  executionArn: string;
  name: string;
  stateMachineArn: string | null;
  /** stepwait's outcome: SUCCEEDED | FAILED | TIMED_OUT | RUNNING | ABORTED. */
  status: WaitOutcome;
  /** Step Functions' own status, for the console and the API. */
  executionStatus: string;
  /** The stage the wait is in (running) or ended in. */
  stage: string | null;
  /** Polls made in that stage. */
  attempt: number | null;
  stages: StageView[];
  jobs: JobView[];
  /** From the execution's start until it stopped, or until now while it runs. */
  waitedSeconds: number;
  startDate: string | null;
  stopDate: string | null;
  /** The wait's deadline, stamped by its first poll. */
  deadline: string | null;
  /** The error a failed (or stopped) execution ended with, e.g. StepWait.JobFailed. */
  error: string | null;
  /** The Cause's `reason`. */
  reason: string | null;
  /**
   * Hand-overs to fresh segment executions so far (a long wait continues in a new execution before the
   * 25,000-event history limit); null when not read: a SUCCEEDED wait's output says everything else.
   */
  handOvers: number | null;
  /** The newest segment execution, where a handed-over wait goes on (or ended). */
  segment: SegmentRef | null;
  /**
   * Where stage, attempt, jobs and deadline come from: the output (a SUCCEEDED wait), this execution's
   * history, or its newest segment's; null when there was nothing to read yet.
   */
  stateSource: 'output' | 'execution' | 'segment' | null;
  /** Why the newest segment's state is not shown although the wait handed over (then it is this one's). */
  segmentNotRead: string | null;
  /** Event mode with callbacks: the URL that wakes the wait (its output's, or its newest poll's). */
  callbackUrl: string | null;
}

/**
 * The report for a described execution. A SUCCEEDED execution's output holds everything; for any other the
 * newest poll state tells the stage, attempts and jobs: from the history, or after a hand-over from the
 * newest segment's history (for a FAILED one, the Cause's jobs fill in if no poll was found).
 */
export async function buildReport(
  sfn: SFNClient,
  described: DescribeExecutionCommandOutput,
  nowMs: number,
): Promise<ExecutionReport> {
  const executionArn = described.executionArn ?? '';
  const status = outcomeOf(described);
  const output = parseJson(described.output);
  let stages: StageView[] = [];
  let jobs: JobView[] = [];
  let stage: string | null = null;
  let attempt: number | null = null;
  let deadline: string | null = null;
  let handOvers: number | null = null;
  let segment: SegmentRef | null = null;
  let stateSource: ExecutionReport['stateSource'] = null;
  let segmentNotRead: string | null = null;
  let callbackUrl: string | null = null;

  if (described.status === 'SUCCEEDED' && isRecord(output)) {
    stages = stageViews(output.stages);
    jobs = jobViews(output.jobs);
    stateSource = 'output';
    if (typeof output.callbackUrl === 'string') callbackUrl = output.callbackUrl;
  } else {
    const wait = await readWaitLocation(sfn, executionArn);
    ({ handOvers, segment, segmentNotRead } = wait);
    stateSource = wait.source;
    const { poll } = wait;
    if (poll !== undefined) {
      stages = poll.stages;
      jobs = poll.jobs;
      stage = poll.stages[poll.stageIndex]?.waiter ?? null;
      attempt = poll.attempt;
      deadline = poll.deadline ?? null;
      callbackUrl = poll.callbackUrl ?? null;
    }
    if (jobs.length === 0) {
      const cause = parseJson(described.cause);
      if (isRecord(cause)) jobs = jobViews(cause.jobs);
    }
  }
  const last = stages[stages.length - 1];
  if (stage === null && last !== undefined) {
    stage = last.waiter;
    attempt = last.attempts;
  }

  const started = described.startDate?.getTime();
  const stopped = described.stopDate?.getTime() ?? nowMs;
  return {
    executionArn,
    name: described.name ?? executionArn.split(':').pop() ?? '',
    stateMachineArn: described.stateMachineArn ?? null,
    status,
    executionStatus: String(described.status),
    stage,
    attempt,
    stages,
    jobs,
    waitedSeconds: started === undefined ? 0 : Math.max(0, Math.round((stopped - started) / 1000)),
    startDate: described.startDate?.toISOString() ?? null,
    stopDate: described.stopDate?.toISOString() ?? null,
    deadline,
    error: described.error ?? null,
    reason: reasonOf(described.cause) ?? null,
    handOvers,
    segment,
    stateSource,
    segmentNotRead,
    callbackUrl,
  };
}

/** `abc123 FAILED (Essential container in task exited, exit code 1)` */
export function formatJob(job: JobView): string {
  const details = [job.statusReason, job.exitCode === undefined ? undefined : `exit code ${job.exitCode}`]
    .filter((part) => part !== undefined && part !== '')
    .join(', ');
  const name = job.jobName ? ` (${job.jobName})` : '';
  return `${job.jobId}${name} ${job.status ?? 'not visible yet'}${details ? `: ${details}` : ''}`;
}

/** The human-readable report: the outcome first, then where the wait is or ended, the jobs and the time. */
export function formatReport(report: ExecutionReport): string {
  const entries: [string, string][] = [
    ['execution', report.name],
    [
      'status',
      report.status === report.executionStatus
        ? report.status
        : `${report.status} (Step Functions: ${report.executionStatus})`,
    ],
  ];
  if (report.error !== null) entries.push(['error', report.error]);
  if (report.reason !== null) entries.push(['reason', report.reason]);
  if (report.stage !== null) {
    entries.push(['stage', `${report.stage}, attempt ${report.attempt ?? 0}`]);
  } else if (report.status === 'RUNNING') {
    entries.push(['stage', report.handOvers ? 'not known (see note)' : 'starting (no poll yet)']);
  }
  if (report.handOvers) {
    const which = `hand-over ${report.handOvers}`;
    entries.push([
      'segment',
      report.segment === null ? `not known yet (${which})` : `${report.segment.name} (${which})`,
    ]);
  }
  if (report.segmentNotRead !== null) {
    entries.push([
      'note',
      `${report.segmentNotRead}; ${report.stage === null ? 'no stage known' : "stage and jobs are this execution's last poll, from before the hand-over"}`,
    ]);
  }
  if (report.stages.length > 0) {
    entries.push(['attempts', report.stages.map((stage) => `${stage.waiter} ${stage.attempts}`).join(', ')]);
  }
  const jobs = report.jobs.length > 0 ? report.jobs.map(formatJob) : ['none seen yet'];
  jobs.forEach((job, index) => {
    entries.push([index === 0 ? (report.jobs.length > 1 ? 'jobs' : 'job') : '', job]);
  });
  entries.push(['waited', formatDuration(report.waitedSeconds)]);
  entries.push(['started', isoSeconds(report.startDate)]);
  if (report.stopDate !== null) entries.push(['stopped', isoSeconds(report.stopDate)]);
  if (report.callbackUrl !== null && report.status === 'RUNNING')
    entries.push(['callback URL', report.callbackUrl]);
  if (report.deadline !== null && report.status === 'RUNNING') {
    entries.push(['deadline', isoSeconds(report.deadline)]);
  }
  entries.push(['arn', report.executionArn]);
  return rows(entries);
}
