import type { DelayStrategy } from './delay';
import type { WaiterModel } from './model';
import type { PollOutcome } from './types';

/**
 * The seam between the engine and the systems whose jobs it waits for (AWS Batch, DQOps, Airbyte, ...).
 * The engine (progress.ts), the poller, the fragment, the CLI and the local runtime work with these types
 * only; each system implements them in its own folder (waiters/<system>/) and is registered once, by id,
 * in lambdas/job-systems.ts, beside its I/O.
 */

/**
 * A job's place in its life, the same words for every system, so a jobs page can tell queued from running
 * whatever the system calls it. Not the wait's outcome (WaitStatus: SUCCEEDED, FAILED, TIMED_OUT, ...).
 */
export type JobPhase = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export const JOB_PHASES: readonly JobPhase[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** A phase a job does not leave. */
export const isFinishedPhase = (phase: JobPhase | undefined): boolean =>
  phase === 'succeeded' || phase === 'failed' || phase === 'cancelled';

/**
 * What a wait reports of each job: the system's own `status` beside the common `phase`, and what a person
 * needs to act on a failure without opening the system's console. Fields a system does not have are absent.
 */
export interface JobSummary {
  jobId: string;
  jobName?: string;
  /** The system's own word, as its API returned it (Batch `RUNNABLE`, DQOps `finished`, ...). */
  status?: string;
  /** The common phase of `status`; absent while the job has not been seen. */
  phase?: JobPhase;
  statusReason?: string;
  /** Epoch milliseconds. */
  createdAt?: number;
  startedAt?: number;
  stoppedAt?: number;
  exitCode?: number;
  logStreamName?: string;
  /** How many times the system ran the job (a retry strategy may run it more than once). */
  attempts?: number;
  /** What else the system says of the job that a person acts on (DQOps: the highest severity found). */
  detail?: Record<string, string | number>;
}

/**
 * One status call as the poller saw it: the output of the operation its waiter names, or the error it
 * raised (with the HTTP status code, for `status` matchers).
 */
export type StatusCallResult =
  | { output: unknown; httpStatusCode?: number }
  | { error: { name: string; message?: string }; httpStatusCode?: number };

/** What one status call means for the wait, before the acceptors decide. */
export type JobsInterpretation =
  | {
      kind: 'outcome';
      /** What the acceptors read: the system's decision input (its response, reshaped), or the error. */
      outcome: PollOutcome;
      /** The jobs as this response shows them; absent for an error (the previous summaries stand). */
      jobs?: JobSummary[];
      /** The ids seen so far, this poll included: carry them into the next poll. */
      seenJobIds: string[];
    }
  /** A job an earlier poll saw is gone: no waiting will mend it. */
  | { kind: 'vanished'; jobIds: string[]; reason: string }
  /**
   * A job an earlier poll saw unfinished is gone from a system that forgets finished jobs: it finished
   * between two polls, with an outcome nobody can read any more.
   */
  | { kind: 'forgotten'; jobIds: string[]; reason: string }
  /** A status the system's mapping does not know: fail closed rather than guess (Airflow's AirbyteJobSensor). */
  | { kind: 'unknownStatus'; jobId: string; status: string; reason: string; jobs: JobSummary[] };

/** How a system's jobs are named in a wait's input: its ids, and its business keys (if it has any). */
export interface JobNaming {
  readonly idPattern: RegExp;
  /** For messages: what an id looks like. */
  readonly idWhat: string;
  readonly keyPattern: RegExp;
  readonly keyWhat: string;
  /** Batch: a business key is looked up in one job queue, which the request names (`jobQueue`). */
  readonly keyScopedByQueue: boolean;
}

/** The pure half of a job system: its waiters, its status vocabulary, and how a response is read. */
export interface JobSystemModel {
  /** The id configs and states name it by (`batch`); registered once, in lambdas/job-systems.ts. */
  readonly id: string;
  /** The system's name for people (`AWS Batch`). */
  readonly title: string;
  /** Its waiters (botocore format); every `operation` they name is one the system's I/O implements. */
  readonly waiterModel: WaiterModel;
  /** The stages a wait goes through unless told otherwise, in order. */
  readonly stages: readonly string[];
  /**
   * stepwait's delays for the built-in waiters (chosen with `npm run bench`). A stage whose waiter keeps
   * the built-in delay gets these; one whose model says another delay gets that delay instead.
   */
  readonly defaultDelays: Readonly<Record<string, DelayStrategy>>;
  /** The status operations the system's I/O implements (botocore operation names, e.g. DescribeJobs). */
  readonly operations: readonly string[];
  /** What its job ids and business keys look like, checked when a wait starts. */
  readonly naming: JobNaming;
  /** Every status the system documents, and its phase. A status not listed here fails the wait closed. */
  readonly phases: Readonly<Record<string, JobPhase>>;
  /**
   * Reads one status call for the jobs requested. A requested job missing from a response is "not visible
   * yet" unless an earlier poll saw it (`seenJobIds`): then it has vanished.
   */
  /**
   * The system's job state-change events, for a waiter that parks (`wakeUp: 'events'`): where EventBridge
   * gets them and how one is read. Absent for a system without such events.
   */
  readonly stateChangeEvents?: StateChangeEvents;
  interpret(
    requestedJobIds: readonly string[],
    seenJobIds: readonly string[],
    result: StatusCallResult,
    /** The summaries the previous poll kept: what a system that forgets finished jobs last knew. */
    previousJobs?: readonly JobSummary[],
  ): JobsInterpretation;
}

/** A system's job state-change events on EventBridge. */
export interface StateChangeEvents {
  readonly source: string;
  readonly detailType: string;
  /** The EventBridge pattern field (under `detail`) that holds a job's status. */
  readonly statusField: string;
  /** The job and status an event reports, or why it is not such an event. */
  read(event: unknown): { jobId: string; status: string } | { invalid: string };
}

/** The phase of a status, or undefined for one the system does not document. */
export function phaseOf(
  system: Pick<JobSystemModel, 'phases'>,
  status: string | undefined,
): JobPhase | undefined {
  return status !== undefined && Object.hasOwn(system.phases, status) ? system.phases[status] : undefined;
}

/**
 * The first summary whose status the system does not document, as the interpretation that fails the wait
 * (StepWait.UnknownStatus naming the status), or undefined when every status is known.
 */
export function unknownStatusIn(
  system: Pick<JobSystemModel, 'phases' | 'title'>,
  jobs: readonly JobSummary[],
): Extract<JobsInterpretation, { kind: 'unknownStatus' }> | undefined {
  const unknown = jobs.find((job) => phaseOf(system, job.status) === undefined);
  if (unknown === undefined) return undefined;
  return {
    kind: 'unknownStatus',
    jobId: unknown.jobId,
    status: String(unknown.status),
    jobs: [...jobs],
    reason: `job ${unknown.jobId} has status ${JSON.stringify(unknown.status)}, which is not one of ${Object.keys(system.phases).join(', ')} (${system.title})`,
  };
}

/** One requested job a status call answered: its summary, and what the acceptors read of it. */
export interface AnsweredJob {
  jobId: string;
  summary: JobSummary;
  decision: unknown;
}

/**
 * What every system makes of one status call once it has read the jobs out of its response (`answered`,
 * from the call's output): an error goes to the acceptors as it is; a requested job that did not answer is
 * not visible yet, unless an earlier poll saw it (`gone` says what that means to the system: vanished, or
 * forgotten); an undocumented status fails closed; otherwise the acceptors read `{ jobs, requestedJobIds,
 * missingJobIds }`.
 */
export function interpretAnswers(
  system: Pick<JobSystemModel, 'phases' | 'title'>,
  requestedJobIds: readonly string[],
  seenJobIds: readonly string[],
  result: StatusCallResult,
  answered: (output: unknown, requested: readonly string[]) => readonly AnsweredJob[],
  gone: (jobIds: string[]) => JobsInterpretation,
): JobsInterpretation {
  const requested = [...new Set(requestedJobIds)];
  if ('error' in result) return { kind: 'outcome', outcome: result, seenJobIds: [...new Set(seenJobIds)] };
  const jobs = answered(result.output ?? {}, requested).filter((job) => requested.includes(job.jobId));
  const visible = new Set(jobs.map((job) => job.jobId));
  const missingJobIds = requested.filter((id) => !visible.has(id));
  const lost = missingJobIds.filter((id) => seenJobIds.includes(id));
  if (lost.length > 0) return gone(lost);
  // The summaries (and so a cause) show the status the system reported, even one it did not document.
  const summaries = jobs.map((job) => job.summary);
  const unknown = unknownStatusIn(system, summaries);
  if (unknown !== undefined) return unknown;
  return {
    kind: 'outcome',
    outcome: {
      output: { jobs: jobs.map((job) => job.decision), requestedJobIds: requested, missingJobIds },
      ...(result.httpStatusCode === undefined ? {} : { httpStatusCode: result.httpStatusCode }),
    },
    jobs: summaries,
    seenJobIds: [...new Set([...seenJobIds, ...visible])],
  };
}

/** `gone` for a system that keeps its jobs: a job seen before and missing now has vanished. */
export const vanishedFrom =
  (source: string) =>
  (jobIds: string[]): JobsInterpretation => ({
    kind: 'vanished',
    jobIds,
    reason: `job ${jobIds.join(', ')} was seen by an earlier poll and ${source} no longer returns it`,
  });
