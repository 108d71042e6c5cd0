/**
 * SubmitJob (Batch API reference, SubmitJobRequest): what the emulator acts on it checks and applies; what
 * it does not emulate it refuses, rather than accept and ignore.
 */

import { type ContainerSettings, containerFor, readContainerOverrides } from './container';
import { clientError } from './errors';
import {
  type JobDependency,
  type JobRecord,
  type JobSettings,
  type JobStore,
  jobNameProblem,
  type SubmitJobInput,
} from './jobs';
import type { ResolvedJobSpec } from './lifecycle';
import type { JobDefinition, JobQueue, ResourceRegistry } from './registry';
import {
  type JsonObject,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalObjectList,
  optionalString,
  optionalStringMap,
  requireString,
} from './request';
import { type JobTimeout, type RetryStrategy, readRetryStrategy, readTimeout } from './retry-strategy';
import { readTags } from './tags';

/** Which job of a submission a spec is asked for: the job itself, or an array job's child. */
export interface JobTarget {
  readonly arrayIndex?: number;
}

export interface SubmitContext {
  readonly store: JobStore;
  readonly registry: ResourceRegistry;
  /** The clock reading for this request, epoch ms. */
  readonly now: number;
  specFor(input: SubmitJobInput, target: JobTarget): ResolvedJobSpec;
}

/** "The size of the array job ... between 2 and 10,000" (SubmitJob.arrayProperties, ArrayProperties.size). */
export const ARRAY_SIZE = { min: 2, max: 10_000 } as const;
/** "A job can depend upon a maximum of 20 jobs" (SubmitJob.dependsOn). */
export const MAX_DEPENDENCIES = 20;

/** SubmitJob members for what the emulator does not run: multi-node, EKS and ECS jobs, fair-share queues. */
const UNEMULATED_MEMBERS: Readonly<Record<string, string>> = {
  nodeOverrides: 'multi-node parallel jobs',
  eksPropertiesOverride: 'Amazon EKS jobs',
  ecsPropertiesOverride: 'Amazon ECS task properties',
  shareIdentifier: 'fair-share scheduling (its queues have no scheduling policy)',
  schedulingPriorityOverride: 'fair-share scheduling (its queues have no scheduling policy)',
};

/** What a request asks of the job besides its name, queue and definition. */
export interface SubmitOverrides {
  readonly containerOverrides?: ContainerSettings;
  readonly retryStrategy?: RetryStrategy;
  readonly timeout?: JobTimeout;
  readonly tags?: Readonly<Record<string, string>>;
  readonly propagateTags?: boolean;
  readonly dependsOn?: readonly JobDependency[];
}

/** SubmitJob; Batch returns jobArn, jobName and jobId (an array job's parent's). */
export function submitJob(body: JsonObject, context: SubmitContext): object {
  const jobName = requireString(body, 'jobName');
  const problem = jobNameProblem(jobName);
  if (problem) throw clientError(problem);
  const jobQueue = requireString(body, 'jobQueue');
  const jobDefinition = requireString(body, 'jobDefinition');
  for (const [member, what] of Object.entries(UNEMULATED_MEMBERS)) {
    if (body[member] !== undefined && body[member] !== null) {
      throw clientError(`${member} is not supported by the Batch emulator: it does not emulate ${what}`);
    }
  }
  const parameters = optionalStringMap(body, 'parameters');
  const containerOverrides = readContainerOverrides(body);
  const retryStrategy = readRetryStrategy(body, 'retryStrategy');
  const timeout = readTimeout(body, 'timeout');
  const propagateTags = optionalBoolean(body, 'propagateTags');
  const arraySize = readArraySize(body);
  const dependsOn = readDependsOn(body);
  const input: SubmitJobInput = {
    jobName,
    jobQueue,
    jobDefinition,
    ...(parameters === undefined ? {} : { parameters }),
  };
  const queue = context.registry.submittableQueue(jobQueue);
  const definition = runnableDefinition(context.registry.submittableDefinition(jobDefinition));
  const waits = resolveDependencies(dependsOn, arraySize, context.store);
  const overrides: SubmitOverrides = {
    ...(containerOverrides === undefined ? {} : { containerOverrides }),
    ...(retryStrategy === undefined ? {} : { retryStrategy }),
    ...(timeout === undefined ? {} : { timeout }),
    tags: readTags(body),
    ...(propagateTags === undefined ? {} : { propagateTags }),
    dependsOn,
  };
  const job = createJob(context, { input, queue, definition, overrides, waits, arraySize });
  return { jobArn: job.jobArn, jobName: job.jobName, jobId: job.jobId };
}

/** The emulator runs container jobs; a multinode definition's jobs are refused, not run as something else. */
export function runnableDefinition(definition: JobDefinition): JobDefinition {
  if (definition.type !== 'container') {
    throw clientError(
      `${definition.arn} is a multinode job definition; the Batch emulator runs container jobs only`,
    );
  }
  return definition;
}

/** A submission whose queue, definition and dependencies are checked. */
export interface CheckedSubmission {
  readonly input: SubmitJobInput;
  readonly queue: JobQueue;
  readonly definition: JobDefinition;
  readonly overrides: SubmitOverrides;
  readonly waits?: Waits;
  readonly arraySize?: number;
  readonly jobId?: string;
}

/** Creates the job (an array job: the parent, then its children `<parent id>:<index>`). */
export function createJob(context: SubmitContext, submission: CheckedSubmission): JobRecord {
  const { input, queue, definition, overrides, arraySize } = submission;
  const waits = submission.waits ?? NO_WAITS;
  const common = {
    jobName: input.jobName,
    queue,
    definition,
    // "Parameters that are specified during SubmitJob override parameters defined in the job definition."
    parameters: { ...definition.parameters, ...input.parameters },
    settings: settingsFor(definition, overrides),
    createdAt: context.now,
  };
  if (arraySize === undefined) {
    return context.store.add({
      ...common,
      spec: context.specFor(input, {}),
      waitsFor: waits.jobIds,
      ...(submission.jobId === undefined ? {} : { jobId: submission.jobId }),
    });
  }
  const parent = context.store.add({
    ...common,
    spec: context.specFor(input, {}),
    array: { kind: 'parent', size: arraySize },
    ...(submission.jobId === undefined ? {} : { jobId: submission.jobId }),
  });
  for (let index = 0; index < arraySize; index += 1) {
    context.store.add({
      ...common,
      jobId: `${parent.jobId}:${index}`,
      spec: context.specFor(input, { arrayIndex: index }),
      // A child waits for what its parent depends on, its N_TO_N counterparts, and with SEQUENTIAL its turn.
      waitsFor: [
        ...waits.jobIds,
        ...waits.nToN.map((arrayJobId) => `${arrayJobId}:${index}`),
        ...(waits.sequential && index > 0 ? [`${parent.jobId}:${index - 1}`] : []),
      ],
      array: { kind: 'child', parentId: parent.jobId, index },
    });
  }
  return parent;
}

/** The definition's settings with the request's over them: a request's retryStrategy or timeout replaces the definition's. */
function settingsFor(definition: JobDefinition, overrides: SubmitOverrides): JobSettings {
  const retryStrategy = overrides.retryStrategy ?? definition.retryStrategy;
  const timeout = overrides.timeout ?? definition.timeout;
  const propagateTags = overrides.propagateTags ?? definition.propagateTags;
  return {
    container: containerFor(definition.containerProperties, overrides.containerOverrides),
    ...(retryStrategy === undefined ? {} : { retryStrategy }),
    ...(timeout === undefined ? {} : { timeout }),
    tags: { ...overrides.tags },
    ...(propagateTags === undefined ? {} : { propagateTags }),
    dependsOn: overrides.dependsOn ?? [],
  };
}

function readArraySize(body: JsonObject): number | undefined {
  const properties = optionalObject(body, 'arrayProperties');
  if (properties === undefined) return undefined;
  const size = optionalInteger(properties, 'size');
  if (size === undefined || size < ARRAY_SIZE.min || size > ARRAY_SIZE.max) {
    throw clientError(
      `arrayProperties.size must be between ${ARRAY_SIZE.min} and ${ARRAY_SIZE.max}, got ${String(size)}`,
    );
  }
  return size;
}

function readDependsOn(body: JsonObject): JobDependency[] {
  const dependencies = optionalObjectList(body, 'dependsOn') ?? [];
  if (dependencies.length > MAX_DEPENDENCIES) {
    throw clientError(
      `dependsOn holds ${dependencies.length} jobs; a job can depend on at most ${MAX_DEPENDENCIES}`,
    );
  }
  return dependencies.map((dependency, i) => {
    const jobId = optionalString(dependency, 'jobId');
    const type = optionalString(dependency, 'type');
    if (type !== undefined && type !== 'N_TO_N' && type !== 'SEQUENTIAL') {
      throw clientError(`dependsOn[${i}].type must be N_TO_N or SEQUENTIAL, got ${type}`);
    }
    return { ...(jobId === undefined ? {} : { jobId }), ...(type === undefined ? {} : { type }) };
  });
}

/** The jobs a submission waits for, sorted by how (JobDependency.type). */
export interface Waits {
  /** Jobs every child (or the job) waits for. */
  readonly jobIds: readonly string[];
  /** Array jobs whose child `i` child `i` waits for. */
  readonly nToN: readonly string[];
  /** Each child waits for the one before it. */
  readonly sequential: boolean;
}

const NO_WAITS: Waits = { jobIds: [], nToN: [], sequential: false };

/**
 * N_TO_N ties each child to the same index of another array job (of the same size); SEQUENTIAL runs the
 * children one after another, "starting at index 0", and needs no job id. Both apply to array jobs only.
 * Every job id named must exist.
 */
function resolveDependencies(
  dependencies: readonly JobDependency[],
  arraySize: number | undefined,
  store: JobStore,
): Waits {
  const jobIds: string[] = [];
  const nToN: string[] = [];
  let sequential = false;
  for (const [i, { jobId, type }] of dependencies.entries()) {
    if (type !== undefined && arraySize === undefined) {
      throw clientError(`dependsOn[${i}]: a ${type} dependency applies to array jobs only`);
    }
    if (type === 'SEQUENTIAL') sequential = true;
    if (jobId === undefined) {
      if (type !== 'SEQUENTIAL') throw clientError(`dependsOn[${i}].jobId is required`);
      continue;
    }
    const dependency = store.get(jobId);
    if (dependency === undefined) throw clientError(`dependsOn[${i}]: job ${jobId} does not exist`);
    if (type === 'N_TO_N') {
      if (dependency.array?.kind !== 'parent' || dependency.array.size !== arraySize) {
        throw clientError(
          `dependsOn[${i}]: N_TO_N needs an array job of the same size (${arraySize}), and ${jobId} is not one`,
        );
      }
      nToN.push(jobId);
    } else {
      jobIds.push(jobId);
    }
  }
  return { jobIds, nToN, sequential };
}
