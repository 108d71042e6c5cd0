import { batchJobSystem, type JobSystemModel } from '../waiters';
import { connectBatch } from './batch/io';
import { InvalidInputError } from './invalid-input';
import type { JobSystemIO } from './job-system-io';

/**
 * The registry of job systems: the one place a system is added. Each pairs its pure model
 * (waiters/<system>/) with its I/O (lambdas/<system>/); the poller, the config check and the constructs
 * find a system here by the id its config names.
 */
export interface RegisteredJobSystem {
  readonly model: JobSystemModel;
  /** The deployed poller's I/O, from the Lambda's environment (set by the construct). */
  connect(env: NodeJS.ProcessEnv): JobSystemIO;
}

export const JOB_SYSTEMS: Readonly<Record<string, RegisteredJobSystem>> = {
  batch: { model: batchJobSystem, connect: connectBatch },
};

/** The system of a config that names none: every config written before job systems were pluggable. */
export const DEFAULT_JOB_SYSTEM = 'batch';

/** @throws InvalidInputError naming `field` for an id no system is registered under */
export function registeredJobSystem(id: string, field = 'config.system'): RegisteredJobSystem {
  const system = Object.hasOwn(JOB_SYSTEMS, id) ? JOB_SYSTEMS[id] : undefined;
  if (system === undefined) {
    throw InvalidInputError.expected(
      field,
      `one of the job systems ${Object.keys(JOB_SYSTEMS).join(', ')}`,
      id,
    );
  }
  return system;
}
