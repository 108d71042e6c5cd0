/**
 * Every job's timeline, worked out from the jobs it waits for (dependsOn, array children and their turns)
 * and kept until something changes one: a TerminateJob, a CancelJob or a removed job.
 */

import type { JobRecord, JobStore } from './jobs';
import { JOB_STATUSES, type JobStatus } from './lifecycle';
import {
  type AttemptRun,
  arrayParentTimeline,
  changeTimes,
  type Ending,
  endedAttempts,
  type Gate,
  type JobState,
  OPEN_GATE,
  planTimeline,
  stateAt,
  type Timeline,
} from './timeline';

export class Scheduler {
  private readonly timelines = new Map<string, Timeline>();
  /** How removed jobs ended (undefined: they had not), for the jobs that wait for them. */
  private readonly retired = new Map<string, Ending | undefined>();

  constructor(private readonly store: JobStore) {}

  /** How often the timelines were dropped: any course may have changed since a reader last looked. */
  invalidations = 0;

  /** Drops every worked-out timeline: an interruption changes the course of the job and of those after it. */
  invalidate(): void {
    this.timelines.clear();
    this.invalidations++;
  }

  /** Remembers how a job about to be removed (and its array children) ended, for the jobs waiting for it. */
  retire(job: JobRecord): void {
    for (const retiring of [job, ...this.store.children(job)]) {
      this.retired.set(retiring.jobId, this.timeline(retiring).end);
    }
    this.invalidate();
  }

  /** Where a job really is at `now`: TerminateJob, CancelJob and dependencies included, a forced status not. */
  underlyingState(job: JobRecord, now: number): JobState {
    return stateAt(this.timeline(job), now);
  }

  /** What DescribeJobs and ListJobs show: a forced status, if any, over the real one. */
  displayedState(job: JobRecord, now: number): JobState {
    const state = this.underlyingState(job, now);
    if (!job.forced) return state;
    return {
      ...state,
      status: job.forced.status,
      statusReason: job.forced.statusReason ?? state.statusReason,
    };
  }

  /** Whether the job's status may change at exactly `at`. */
  changesAt(job: JobRecord, at: number): boolean {
    return changeTimes(this.timeline(job)).includes(at);
  }

  /** The first instant after `afterMs` at which the job's status may change, or undefined if it never does. */
  nextChangeAfter(job: JobRecord, afterMs: number): number | undefined {
    const times = changeTimes(this.timeline(job)).filter((at) => at > afterMs);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** The attempts DescribeJobs lists at `now`. */
  attempts(job: JobRecord, now: number): AttemptRun[] {
    return endedAttempts(this.timeline(job), now);
  }

  /** How the job ended, once it has by `now`. */
  ending(job: JobRecord, now: number): Ending | undefined {
    const { end } = this.timeline(job);
    return end !== undefined && end.at <= now ? end : undefined;
  }

  /** An array parent's children per status, every status listed (ArrayPropertiesDetail.statusSummary). */
  statusSummary(parent: JobRecord, now: number): Record<JobStatus, number> {
    const summary = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<
      JobStatus,
      number
    >;
    for (const child of this.store.children(parent)) {
      const { status } = this.displayedState(child, now);
      if (status in summary) summary[status as JobStatus] += 1;
    }
    return summary;
  }

  /**
   * The job's timeline, working out first those of the jobs it waits for. Iterative, not recursive: a
   * SEQUENTIAL array of 10,000 children is a chain 10,000 jobs long.
   */
  timeline(job: JobRecord): Timeline {
    const stack: JobRecord[] = [job];
    while (stack.length > 0) {
      const top = stack.at(-1) as JobRecord;
      if (this.timelines.has(top.jobId)) {
        stack.pop();
        continue;
      }
      const pending = this.prerequisites(top).filter((other) => !this.timelines.has(other.jobId));
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      this.timelines.set(top.jobId, this.build(top));
      stack.pop();
    }
    return this.timelines.get(job.jobId) as Timeline;
  }

  private prerequisites(job: JobRecord): JobRecord[] {
    if (job.array?.kind === 'parent') return this.store.children(job);
    return job.waitsFor.map((id) => this.store.get(id)).filter((other) => other !== undefined);
  }

  private build(job: JobRecord): Timeline {
    if (job.array?.kind === 'parent') {
      const ends = this.store.children(job).map((child) => this.timelines.get(child.jobId)?.end);
      return arrayParentTimeline(job.createdAt, job.spec, ends, job.interruption);
    }
    const timeout = job.settings.timeout?.attemptDurationSeconds;
    return planTimeline(
      {
        createdAt: job.createdAt,
        spec: job.spec,
        ...(job.settings.retryStrategy === undefined ? {} : { retryStrategy: job.settings.retryStrategy }),
        ...(timeout === undefined ? {} : { timeoutSeconds: timeout }),
        logStreamName: job.logStreamName,
        waits: job.waitsFor.length > 0,
      },
      this.gate(job.waitsFor),
      job.interruption,
    );
  }

  /** Batch runs a job once every job it depends on SUCCEEDED, and fails it as soon as one FAILED. */
  private gate(ids: readonly string[]): Gate | undefined {
    let latest = OPEN_GATE.at;
    let failedAt: number | undefined;
    let endless = false;
    for (const id of ids) {
      const end = this.store.get(id) === undefined ? this.retired.get(id) : this.timelines.get(id)?.end;
      if (end === undefined) endless = true;
      else if (end.status === 'FAILED') failedAt = Math.min(failedAt ?? end.at, end.at);
      else latest = Math.max(latest, end.at);
    }
    if (failedAt !== undefined) return { at: failedAt, failed: true };
    return endless ? undefined : { at: latest, failed: false };
  }
}
