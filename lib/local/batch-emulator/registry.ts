/**
 * The job queues and job definitions the emulator knows. SubmitJob names one of each; Batch refuses a
 * queue that does not exist or is DISABLED, and a definition that does not exist or is not ACTIVE.
 */

import type { BatchArns } from './arns';
import { type ContainerSettings, readContainerProperties } from './container';
import { clientError } from './errors';
import { type JsonObject, optionalBoolean, optionalStringMap } from './request';
import { type JobTimeout, type RetryStrategy, readRetryStrategy, readTimeout } from './retry-strategy';
import { readTags } from './tags';

/** CreateJobQueue.state: a DISABLED queue takes no new jobs (Batch API reference, JobQueueDetail.state). */
export type JobQueueState = 'ENABLED' | 'DISABLED';
/** A deregistered revision is INACTIVE and can no longer be submitted to. */
export type JobDefinitionStatus = 'ACTIVE' | 'INACTIVE';
/** RegisterJobDefinition.type (the model's JobDefinitionType). */
export type JobDefinitionType = 'container' | 'multinode';

export interface JobQueueRegistration {
  /** The queue's name, or its ARN in the emulator's region and account. */
  readonly name: string;
  /** Default ENABLED. */
  readonly state?: JobQueueState;
}

export interface JobDefinitionRegistration {
  /** `name`, `name:revision`, or the ARN (`arn:aws:batch:<region>:<account>:job-definition/name[:revision]`). */
  readonly name: string;
  /** Default: the revision in `name`, else one more than the name's latest revision (1 for a new name). */
  readonly revision?: number;
  /** Default ACTIVE. */
  readonly status?: JobDefinitionStatus;
  /** Default container. */
  readonly type?: JobDefinitionType;
  /** Default parameter values; SubmitJob's parameters override them. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Used unless SubmitJob gives its own. */
  readonly retryStrategy?: RetryStrategy;
  /** Used unless SubmitJob gives its own; at least 60 seconds. */
  readonly timeout?: JobTimeout;
  /** The container (image, command, environment, resourceRequirements) SubmitJob's containerOverrides change. */
  readonly containerProperties?: ContainerSettings;
  readonly tags?: Readonly<Record<string, string>>;
  /** Used unless SubmitJob says otherwise. */
  readonly propagateTags?: boolean;
}

export interface JobQueue {
  readonly name: string;
  readonly arn: string;
  readonly state: JobQueueState;
}

export interface JobDefinition {
  readonly name: string;
  readonly revision: number;
  readonly arn: string;
  readonly status: JobDefinitionStatus;
  readonly type: JobDefinitionType;
  readonly parameters: Readonly<Record<string, string>>;
  readonly retryStrategy?: RetryStrategy;
  readonly timeout?: JobTimeout;
  readonly containerProperties?: ContainerSettings;
  readonly tags: Readonly<Record<string, string>>;
  readonly propagateTags?: boolean;
}

/**
 * Name rule of CreateJobQueue.jobQueueName and RegisterJobDefinition.jobDefinitionName (Batch API
 * reference): up to 128 letters, numbers, hyphens and underscores.
 */
const RESOURCE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const NAME_AND_REVISION = /^([A-Za-z0-9_-]{1,128})(?::([1-9]\d{0,8}))?$/;

interface DefinitionRef {
  readonly name: string;
  readonly revision?: number;
}

export class ResourceRegistry {
  private readonly queues = new Map<string, JobQueue>();
  /** Revisions by definition name, oldest first. */
  private readonly definitions = new Map<string, JobDefinition[]>();

  constructor(private readonly arns: BatchArns) {}

  /** Adds a queue; Batch's CreateJobQueue refuses a name that is taken. */
  addQueue(registration: JobQueueRegistration): JobQueue {
    const name = this.arns.resourcePath(registration.name, 'job-queue');
    if (name === undefined || !RESOURCE_NAME.test(name)) {
      throw clientError(
        `invalid job queue ${JSON.stringify(registration.name)}: a name of up to 128 letters, numbers, ` +
          'hyphens and underscores, or its ARN in this region and account',
      );
    }
    const state = registration.state ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED')
      throw clientError(`state must be ENABLED or DISABLED, got ${String(state)}`);
    if (this.queues.has(name)) throw clientError(`Object already exists: job queue ${name}`);
    const queue: JobQueue = { name, arn: this.arns.jobQueue(name), state };
    this.queues.set(name, queue);
    return queue;
  }

  /** Adds a revision of a definition (the next one unless the registration names one that is free). */
  addDefinition(registration: JobDefinitionRegistration): JobDefinition {
    const ref = this.definitionRef(registration.name);
    if (ref === undefined) {
      throw clientError(
        `invalid job definition ${JSON.stringify(registration.name)}: name or name:revision (a name of up ` +
          'to 128 letters, numbers, hyphens and underscores), or its ARN in this region and account',
      );
    }
    if (
      ref.revision !== undefined &&
      registration.revision !== undefined &&
      ref.revision !== registration.revision
    ) {
      throw clientError(`${registration.name} names revision ${ref.revision}, not ${registration.revision}`);
    }
    const revisions = this.definitions.get(ref.name) ?? [];
    const revision = registration.revision ?? ref.revision ?? (revisions.at(-1)?.revision ?? 0) + 1;
    if (!Number.isInteger(revision) || revision < 1)
      throw clientError(`revision must be a whole number >= 1, got ${revision}`);
    if (revisions.some((existing) => existing.revision === revision)) {
      throw clientError(`job definition ${ref.name}:${revision} already exists`);
    }
    const status = registration.status ?? 'ACTIVE';
    if (status !== 'ACTIVE' && status !== 'INACTIVE')
      throw clientError(`status must be ACTIVE or INACTIVE, got ${String(status)}`);
    const type = registration.type ?? 'container';
    if (type !== 'container' && type !== 'multinode')
      throw clientError(`type must be container or multinode, got ${String(type)}`);
    const definition: JobDefinition = {
      name: ref.name,
      revision,
      arn: this.arns.jobDefinition(ref.name, revision),
      status,
      type,
      ...definitionSettings(registration as unknown as JsonObject),
    };
    this.definitions.set(
      ref.name,
      [...revisions, definition].sort((a, b) => a.revision - b.revision),
    );
    return definition;
  }

  /** The queue a name or ARN refers to, whatever its state. */
  queue(nameOrArn: string): JobQueue | undefined {
    const name = this.arns.resourcePath(nameOrArn, 'job-queue');
    return name === undefined ? undefined : this.queues.get(name);
  }

  /**
   * The revision SubmitJob would use: `name` (or an ARN without revision) means the latest ACTIVE revision,
   * `name:revision` that revision, whatever its status (Batch API reference, SubmitJob.jobDefinition).
   */
  definition(reference: string): JobDefinition | undefined {
    const ref = this.definitionRef(reference);
    if (ref === undefined) return undefined;
    const revisions = this.definitions.get(ref.name) ?? [];
    if (ref.revision !== undefined) return revisions.find((d) => d.revision === ref.revision);
    return revisions.filter((d) => d.status === 'ACTIVE').at(-1);
  }

  /** Whether the revision named (`name:revision`) exists, or any revision of a bare name, active or not. */
  hasDefinition(reference: string): boolean {
    const ref = this.definitionRef(reference);
    if (ref === undefined) return false;
    const revisions = this.definitions.get(ref.name) ?? [];
    return revisions.some((d) => ref.revision === undefined || d.revision === ref.revision);
  }

  /** The queue SubmitJob may add to, or Batch's ClientException. */
  submittableQueue(nameOrArn: string): JobQueue {
    const queue = this.queue(nameOrArn);
    // Batch's words for an unknown queue ("JobQueue <name> not found.").
    if (queue === undefined) throw clientError(`JobQueue ${nameOrArn} not found.`);
    if (queue.state !== 'ENABLED') {
      throw clientError(`JobQueue ${nameOrArn} is DISABLED: it accepts no new jobs.`);
    }
    return queue;
  }

  /** The definition revision SubmitJob would run, or Batch's ClientException. */
  submittableDefinition(reference: string): JobDefinition {
    const definition = this.definition(reference);
    if (definition === undefined || definition.status !== 'ACTIVE') {
      // Batch's words when the definition is missing or deregistered.
      throw clientError(`JobDefinition name ${reference} does not exist or is not in ACTIVE status`);
    }
    return definition;
  }

  private definitionRef(reference: string): DefinitionRef | undefined {
    const path = this.arns.resourcePath(reference, 'job-definition');
    const match = path === undefined ? null : NAME_AND_REVISION.exec(path);
    if (!match) return undefined;
    const [, name, revision] = match;
    return { name: name as string, ...(revision === undefined ? {} : { revision: Number(revision) }) };
  }
}

/** A definition's settings, checked with the same readers as the requests that carry them. */
function definitionSettings(
  body: JsonObject,
): Pick<
  JobDefinition,
  'parameters' | 'retryStrategy' | 'timeout' | 'containerProperties' | 'tags' | 'propagateTags'
> {
  const retryStrategy = readRetryStrategy(body, 'retryStrategy');
  const timeout = readTimeout(body, 'timeout');
  const containerProperties = readContainerProperties(body);
  const propagateTags = optionalBoolean(body, 'propagateTags');
  return {
    parameters: optionalStringMap(body, 'parameters') ?? {},
    ...(retryStrategy === undefined ? {} : { retryStrategy }),
    ...(timeout === undefined ? {} : { timeout }),
    ...(containerProperties === undefined ? {} : { containerProperties }),
    tags: readTags(body),
    ...(propagateTags === undefined ? {} : { propagateTags }),
  };
}
