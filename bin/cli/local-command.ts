import { DEFAULT_JOB_SYSTEM, JOB_SYSTEMS } from '../../lambdas/job-systems';
import { LocalAppError } from '../../lib/local/app-error';
import { loadApp } from '../../lib/local/app-synth';
import { chooseStateMachine, labelOf, runnableChoice } from '../../lib/local/machine-choice';
import type { RunnableMachine } from '../../lib/local/runnable-machine';
import { seededRandom } from '../../lib/local/seeded-random';
import { checkStubs } from '../../lib/local/stubs';
import { MAX_MAX_TIMEOUT } from '../../lib/wait-fragment';
import { endedWaitExitCode } from '../../lib/wait-outcome';
import type { DelayStrategy } from '../../waiters';
import { liveView, type Output } from './local-live-view';
import { LOCAL_USAGE, type LocalCommandOptions, parseLocalOptions } from './local-options';
import { type LocalRuntimeModules, loadLocalRuntime } from './local-runtime';
import { summaryTable } from './local-summary';
import type { LocalUiRun } from './local-ui';
import { formatDuration, UsageError } from './usage-error';

export { LOCAL_USAGE, parseDelayOption, parseLocalOptions } from './local-options';

/** How the opening line names the system a machine's waits poll (its registered title). */
function systemTitle(machine: RunnableMachine): string {
  const systems = new Set(machine.allWaits.map((wait) => wait.config.system ?? DEFAULT_JOB_SYSTEM));
  return [...systems].map((id) => JOB_SYSTEMS[id]?.model.title ?? id).join(' and ');
}

/** The machine a run waits with, and how to name it. */
interface Chosen {
  machine: RunnableMachine;
  label: string;
  /** stepwait's own example app, not the user's. */
  example: boolean;
}

const EXAMPLE_LABEL = 'the example app (StepWaitStack/BatchJobWaiter)';

async function chooseMachine(
  options: LocalCommandOptions,
  output: Output,
  { runnableWaiter, synthesizeWaiter }: LocalRuntimeModules,
): Promise<Chosen> {
  if (options.app === undefined) {
    // The example allows deadlines up to the construct's limit, so a month-long job can be simulated.
    const synthesized = synthesizeWaiter({
      waiter: { maxTimeout: MAX_MAX_TIMEOUT, ...(options.wakeUp === 'events' ? { wakeUp: 'events' } : {}) },
      ...(options.system === 'batch' ? {} : { system: options.system }),
      ...(options.registry ? { registry: true } : {}),
    });
    return {
      machine: runnableWaiter(synthesized),
      label:
        options.system === 'batch'
          ? EXAMPLE_LABEL
          : `the example app (StepWaitStack, its ${options.system} waiter)`,
      example: true,
    };
  }
  if (!options.json) output.err(`stepwait local: reading your app (${options.app})\n`);
  const found = chooseStateMachine(await loadApp(options.app), options.stateMachine);
  return { machine: runnableChoice(found), label: labelOf(found), example: false };
}

/**
 * The deadline each built request asks for. The example app's default leaves room for the simulated job
 * (at least 24 h, else its length plus an hour); a user's waiter keeps its own `timeout` unless told. A
 * deadline above the waiter's maxTimeout would only be refused at the first poll: it is a bad option.
 */
function timeoutFor(options: LocalCommandOptions, chosen: Chosen): number | undefined {
  const maxTimeout = Math.min(...chosen.machine.allWaits.map((wait) => wait.config.maxTimeoutSeconds));
  if (options.timeoutSeconds !== undefined) {
    if (options.timeoutSeconds > maxTimeout) {
      throw new UsageError(
        `--timeout: at most ${maxTimeout} s (${formatDuration(maxTimeout)}), the maxTimeout of ${chosen.label}; got ${options.timeoutSeconds} s`,
      );
    }
    return options.timeoutSeconds;
  }
  if (!chosen.example || options.input !== undefined) return undefined;
  return Math.min(maxTimeout, Math.max(86_400, options.queueSeconds + options.jobDurationSeconds + 3_600));
}

/**
 * Runs `stepwait local`; returns the exit code.
 * @param untilStopped with --ui, when to stop (default: Ctrl-C or SIGTERM)
 */
export async function localCommand(
  args: string[],
  output: Output,
  untilStopped?: (run: LocalUiRun) => Promise<void>,
): Promise<number> {
  const options = parseLocalOptions(args);
  if (options === 'help') {
    output.out(`${LOCAL_USAGE}\n`);
    return 0;
  }
  try {
    if (options.ui) {
      // The runtime's packages are checked first, so a broken install is told what to install.
      await loadLocalRuntime();
      const { runLocalUi, untilSignalled } = await import('./local-ui.js');
      return await runLocalUi(options, output, untilStopped ?? untilSignalled);
    }
    return await run(options, output);
  } catch (error) {
    if (!(error instanceof LocalAppError)) throw error;
    // Nothing ran: like a bad option, exit 2, with what to change.
    if (options.json) {
      output.out(`${JSON.stringify({ error: { code: error.name, message: error.message } })}\n`);
    } else {
      output.err(`stepwait local: ${error.message}\n`);
    }
    return 2;
  }
}

async function run(options: LocalCommandOptions, output: Output): Promise<number> {
  const started = Date.now();
  const runtime = await loadLocalRuntime();
  const chosen = await chooseMachine(options, output, runtime);
  const { machine, label } = chosen;
  checkStubs(machine, label, options.stubs);
  const timeoutSeconds = timeoutFor(options, chosen);
  const stages = [...new Set(machine.allWaits.flatMap((wait) => wait.config.stages))];
  // A JobWaiter's segment machine runs the same wait: waits are told apart by their waiter name.
  const waits = new Set(machine.allWaits.map((wait) => wait.config.name)).size;
  if (!options.json) {
    output.err(
      `stepwait local: ${chosen.example ? '' : `${label}: `}a ${formatDuration(options.jobDurationSeconds)} job (queued ${formatDuration(options.queueSeconds)}, ending ${options.outcome}) on a local ${systemTitle(machine)}${chosen.example ? '' : `, ${waits === 1 ? 'one wait' : `${waits} waits`}`}\n`,
    );
  }
  const view = liveView(output, waits > 1);
  const report = await runtime.runLocalWait({
    machine,
    label,
    jobDurationSeconds: options.jobDurationSeconds,
    queueSeconds: options.queueSeconds,
    outcome: options.outcome,
    ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
    ...(options.input === undefined ? {} : { input: options.input }),
    stubs: options.stubs,
    jobQueues: options.jobQueues,
    jobDefinitions: options.jobDefinitions,
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    ...(options.failOnTimeout === undefined ? {} : { failOnTimeout: options.failOnTimeout }),
    ...(options.delay === undefined
      ? {}
      : { delays: Object.fromEntries(stages.map((stage) => [stage, options.delay as DelayStrategy])) }),
    ...(options.throttle
      ? { faults: { throttleProbability: options.throttle, operations: ['DescribeJobs', 'ListJobs'] } }
      : {}),
    random: seededRandom(options.seed),
    ...(options.json ? {} : { onPoll: view.poll, onWakeUp: view.wakeUp }),
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
