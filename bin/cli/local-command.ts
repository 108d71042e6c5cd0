import { runLocalWait } from '../../lib/local/local-run';
import { runnableWaiter, synthesizeWaiter } from '../../lib/local/local-waiter';
import { seededRandom } from '../../lib/local/seeded-random';
import { MAX_MAX_TIMEOUT } from '../../lib/wait-fragment';
import { endedWaitExitCode } from '../../lib/wait-outcome';
import type { DelayStrategy } from '../../waiters';
import { liveView, type Output } from './local-live-view';
import { LOCAL_USAGE, parseLocalOptions } from './local-options';
import { summaryTable } from './local-summary';
import { formatDuration, UsageError } from './usage-error';

export { LOCAL_USAGE, parseDelayOption, parseLocalOptions } from './local-options';

const EXAMPLE_LABEL = 'the example app (StepWaitStack/BatchJobWaiter)';

/** Runs `stepwait local`; returns the exit code. */
export async function localCommand(args: string[], output: Output): Promise<number> {
  const options = parseLocalOptions(args);
  if (options === 'help') {
    output.out(`${LOCAL_USAGE}\n`);
    return 0;
  }
  const started = Date.now();
  // The example allows deadlines up to the construct's limit, so a month-long job can be simulated.
  const machine = runnableWaiter(synthesizeWaiter({ waiter: { maxTimeout: MAX_MAX_TIMEOUT } }));
  // A deadline above the waiter's maxTimeout would only be refused at the first poll: it is a bad option.
  const maxTimeout = Math.min(...machine.allWaits.map((wait) => wait.config.maxTimeoutSeconds));
  if (options.timeoutSeconds !== undefined && options.timeoutSeconds > maxTimeout) {
    throw new UsageError(
      `--timeout: at most ${maxTimeout} s (${formatDuration(maxTimeout)}), the maxTimeout of ${EXAMPLE_LABEL}; got ${options.timeoutSeconds} s`,
    );
  }
  const stages = [...new Set(machine.allWaits.flatMap((wait) => wait.config.stages))];
  if (!options.json) {
    output.err(
      `stepwait local: a ${formatDuration(options.jobDurationSeconds)} job (queued ${formatDuration(options.queueSeconds)}, ending ${options.outcome}) on a local AWS Batch\n`,
    );
  }
  const report = await runLocalWait({
    machine,
    label: EXAMPLE_LABEL,
    jobDurationSeconds: options.jobDurationSeconds,
    queueSeconds: options.queueSeconds,
    outcome: options.outcome,
    // Without --timeout the deadline leaves room for the simulated job: at least 24 h, else its length plus an hour.
    timeoutSeconds:
      options.timeoutSeconds ??
      Math.min(maxTimeout, Math.max(86_400, options.queueSeconds + options.jobDurationSeconds + 3_600)),
    ...(options.failOnTimeout === undefined ? {} : { failOnTimeout: options.failOnTimeout }),
    ...(options.delay === undefined
      ? {}
      : { delays: Object.fromEntries(stages.map((stage) => [stage, options.delay as DelayStrategy])) }),
    ...(options.throttle
      ? { faults: { throttleProbability: options.throttle, operations: ['DescribeJobs', 'ListJobs'] } }
      : {}),
    random: seededRandom(options.seed),
    ...(options.json ? {} : { onPoll: liveView(output) }),
  });
  const realSeconds = (Date.now() - started) / 1000;
  if (options.json) {
    const { describeJobsCallSeconds: _calls, ...json } = report;
    output.out(`${JSON.stringify(json)}\n`);
  } else {
    if (output.live) output.err('\r\x1b[2K');
    output.out(`\n${summaryTable(report, realSeconds)}\n`);
  }
  return endedWaitExitCode(report.executionStatus);
}
