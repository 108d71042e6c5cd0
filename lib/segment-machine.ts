import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { PollerConfig } from '../lambdas/poller-config';
import { acknowledge } from './acknowledgements';

/**
 * What the machines that run a wait share: the main machine and the segment machines a long wait goes on
 * in. A segment machine runs the wait with the options of its own definition, so the machine that hands a
 * wait over to it must have been built with the very same options; this module remembers each segment
 * machine's options so that a mismatch is refused at synth.
 */

/** How far above the longest deadline a wait machine's own TimeoutSeconds sits: a backstop only. */
export const BACKSTOP_MARGIN = Duration.hours(1);

/** A chainable wait (JobWaitFragment) and the config its polls carry. */
export interface WaitChain extends sfn.IChainable {
  readonly pollerConfig: PollerConfig;
}

export interface WaitMachineOptions {
  /** Executions log at ERROR without execution data here; none when absent. */
  readonly logGroup?: logs.ILogGroup;
  /** X-Ray tracing. @default false */
  readonly tracing?: boolean;
  readonly stateMachineName?: string;
}

/** The props of a machine that runs `wait` from its first state: a backstop timeout, ERROR logs, tracing. */
export function waitMachineProps(wait: WaitChain, options: WaitMachineOptions): sfn.StateMachineProps {
  return {
    definitionBody: sfn.DefinitionBody.fromChainable(wait),
    // A backstop only: the poller's deadline ends every wait first.
    timeout: Duration.seconds(wait.pollerConfig.maxTimeoutSeconds + BACKSTOP_MARGIN.toSeconds()),
    tracingEnabled: options.tracing ?? false,
    // ERROR level without execution data: inputs may carry job parameters.
    logs: options.logGroup && {
      destination: options.logGroup,
      level: sfn.LogLevel.ERROR,
      includeExecutionData: false,
    },
    ...(options.stateMachineName === undefined ? {} : { stateMachineName: options.stateMachineName }),
  };
}

/** The cdk-nag (AwsSolutions) findings a wait machine raises by design, each on its resource with a reason. */
export function acknowledgeWaitMachine(machine: sfn.StateMachine, options: WaitMachineOptions): void {
  acknowledge(
    machine,
    'AwsSolutions-SF1',
    'Logs at ERROR without execution data: ALL would log every poll of month-long waits, and inputs may carry job parameters.',
  );
  if (!options.tracing) {
    acknowledge(
      machine,
      'AwsSolutions-SF2',
      'X-Ray tracing is opt-in (the tracing prop): a poll loop gains little from traces.',
    );
  }
  if (options.logGroup !== undefined) {
    acknowledge(
      machine.role,
      'AwsSolutions-IAM5',
      'CloudWatch Logs delivery actions (logs:CreateLogDelivery, ...) support no resource but "*".',
      'Resource::*',
    );
  }
}

/**
 * Where a segment machine carries its wait's config: a global symbol, so that two copies of stepwait in one
 * app (say, a library of constructs bundling its own) still recognise each other's segment machines.
 */
const SEGMENT_CONFIG = Symbol.for('stepwait.segmentConfig');

/** Records that `machine` is a segment machine running waits with `config`. */
export function registerSegmentMachine(machine: sfn.IStateMachine, config: PollerConfig): void {
  Object.defineProperty(machine, SEGMENT_CONFIG, { value: config, enumerable: false });
}

/** The config of a segment machine built by stepwait, or undefined for any other machine. */
export function segmentConfigOf(machine: sfn.IStateMachine): PollerConfig | undefined {
  return (machine as unknown as Record<symbol, PollerConfig | undefined>)[SEGMENT_CONFIG];
}

/**
 * The options in which a hand-over's config and a segment machine's differ (`acceptsHandOver` is what makes
 * a segment one, so it is left out): each a reason the wait would change behaviour after a hand-over.
 */
export function configDifferences(wait: PollerConfig, segment: PollerConfig): string[] {
  const { acceptsHandOver: _wait, ...waitOptions } = wait;
  const { acceptsHandOver: _segment, ...segmentOptions } = segment;
  const keys = new Set([...Object.keys(waitOptions), ...Object.keys(segmentOptions)]);
  return [...keys].filter(
    (key) =>
      JSON.stringify((waitOptions as Record<string, unknown>)[key]) !==
      JSON.stringify((segmentOptions as Record<string, unknown>)[key]),
  );
}
