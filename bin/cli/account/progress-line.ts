import { formatDuration } from '../usage-error';
import type { ExecutionReport } from './report';

/** The parts of a status line, each said in full. */
interface LineParts {
  name: string;
  status: string;
  stage: string;
  handOver: string;
  jobs: string;
  /** The jobs as counts per status (`jobs 98 RUNNING, 2 SUCCEEDED`), the same when there is one job. */
  jobCounts: string;
  waited: string;
  deadline: string;
}

function partsOf(report: ExecutionReport, nowMs: number): LineParts {
  const statuses = report.jobs.map((job) => job.status ?? '?');
  const counts = new Map<string, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  const jobs =
    statuses.length === 0
      ? 'job not visible yet'
      : statuses.length === 1
        ? `job ${statuses[0]}`
        : `jobs ${statuses.join(', ')}`;
  return {
    name: report.name,
    status: report.status,
    stage: report.stage === null ? 'starting' : `${report.stage} attempt ${report.attempt ?? 0}`,
    handOver: report.handOvers ? `hand-over ${report.handOvers}` : '',
    jobs,
    jobCounts:
      statuses.length > 1
        ? `jobs ${[...counts].map(([status, count]) => `${count} ${status}`).join(', ')}`
        : jobs,
    waited: `waited ${formatDuration(report.waitedSeconds)}`,
    deadline:
      report.deadline === null
        ? ''
        : `deadline in ${formatDuration(Math.max(0, (Date.parse(report.deadline) - nowMs) / 1000))}`,
  };
}

/** `name: status, stage (hand-over), jobs, waited, deadline`, leaving out the parts that are empty. */
function join(parts: LineParts): string {
  const stage = parts.handOver === '' ? parts.stage : `${parts.stage} (${parts.handOver})`;
  const body = [parts.status, stage, parts.jobs, parts.waited, parts.deadline].filter((part) => part !== '');
  return `${parts.name === '' ? '' : `${parts.name}: `}${body.join(', ')}`;
}

/**
 * Shorter forms of the line, least useful part first: the status (always RUNNING while a wait is followed),
 * the name (the "started ..." line above says it), many jobs' statuses one by one (counted instead), the
 * time waited, the hand-over count, the deadline. Stage, attempt and the jobs' statuses stay longest.
 */
const SHORTENINGS: ((parts: LineParts) => LineParts)[] = [
  (parts) => ({ ...parts, status: '' }),
  (parts) => ({ ...parts, name: '' }),
  (parts) => ({ ...parts, jobs: parts.jobCounts }),
  (parts) => ({ ...parts, waited: '' }),
  (parts) => ({ ...parts, handOver: '' }),
  (parts) => ({ ...parts, deadline: '' }),
];

/**
 * One line of progress: stage and attempt, the jobs' statuses, time waited and time left. With `width`
 * (a terminal's columns), at most `width - 1` characters: a line as wide as the terminal moves the cursor
 * past its edge on some terminals, and a wrapped line is not erased by the next redraw (`\r` returns to
 * the start of the last row only), which leaves a trail of stale lines. Parts are dropped in the order
 * of SHORTENINGS; what still does not fit is cut with an ellipsis.
 */
export function progressLine(report: ExecutionReport, nowMs: number, width?: number): string {
  let parts = partsOf(report, nowMs);
  let line = join(parts);
  if (width === undefined) return line;
  const room = Math.max(0, width - 1);
  for (const shorten of SHORTENINGS) {
    if (line.length <= room) return line;
    parts = shorten(parts);
    line = join(parts);
  }
  if (line.length <= room) return line;
  return room === 0 ? '' : `${line.slice(0, room - 1)}…`;
}
