/**
 * CreateJobQueue and RegisterJobDefinition, so a client (awscli, an SDK, a test) can set the emulator up the
 * way it would set up Batch. What they describe that the emulator does not run is refused.
 */

import { clientError } from './errors';
import type {
  JobDefinitionRegistration,
  JobDefinitionType,
  JobQueueState,
  ResourceRegistry,
} from './registry';
import {
  type JsonObject,
  optionalInteger,
  optionalObjectList,
  optionalString,
  optionalStringList,
  requireString,
} from './request';
import { readTags } from './tags';

/** CreateJobQueue.jobQueueName and RegisterJobDefinition.jobDefinitionName: a plain name, no ARN or revision. */
const PLAIN_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** "You can associate up to three compute environments with a job queue" (CreateJobQueue.computeEnvironmentOrder). */
const MAX_COMPUTE_ENVIRONMENTS = 3;

function refuseUnemulated(body: JsonObject, members: Readonly<Record<string, string>>): void {
  for (const [member, what] of Object.entries(members)) {
    if (body[member] !== undefined && body[member] !== null) {
      throw clientError(`${member} is not supported by the Batch emulator: it does not emulate ${what}`);
    }
  }
}

function plainName(body: JsonObject, field: string): string {
  const name = requireString(body, field);
  if (!PLAIN_NAME.test(name)) {
    throw clientError(`${field} must be up to 128 letters, numbers, hyphens and underscores, got ${name}`);
  }
  return name;
}

/**
 * CreateJobQueue: the queue SubmitJob may then use. Its priority and compute environments are checked as
 * the model requires them but not used: the emulator has no compute environments, and every queue starts
 * its jobs after their RUNNABLE time.
 */
export function createJobQueue(body: JsonObject, registry: ResourceRegistry): object {
  const jobQueueName = plainName(body, 'jobQueueName');
  refuseUnemulated(body, {
    schedulingPolicyArn: 'fair-share scheduling',
    jobStateTimeLimitActions: 'actions on jobs stuck in a state',
  });
  if (optionalInteger(body, 'priority') === undefined) throw clientError('priority is required');
  const order = optionalObjectList(body, 'computeEnvironmentOrder');
  if (order === undefined || order.length === 0 || order.length > MAX_COMPUTE_ENVIRONMENTS) {
    throw clientError(
      `computeEnvironmentOrder must name 1 to ${MAX_COMPUTE_ENVIRONMENTS} compute environments`,
    );
  }
  for (const [i, entry] of order.entries()) {
    if (optionalInteger(entry, 'order') === undefined)
      throw clientError(`computeEnvironmentOrder[${i}].order is required`);
    requireString(entry, 'computeEnvironment');
  }
  readTags(body);
  const state = optionalString(body, 'state');
  const queue = registry.addQueue({
    name: jobQueueName,
    ...(state === undefined ? {} : { state: state as JobQueueState }),
  });
  return { jobQueueName: queue.name, jobQueueArn: queue.arn };
}

/**
 * RegisterJobDefinition: the next revision of a container job definition. Its parameters, retryStrategy,
 * timeout, containerProperties (image, command, environment, resourceRequirements), tags and propagateTags
 * are what SubmitJob then runs with.
 */
export function registerJobDefinition(body: JsonObject, registry: ResourceRegistry): object {
  const jobDefinitionName = plainName(body, 'jobDefinitionName');
  const type = requireString(body, 'type');
  refuseUnemulated(body, {
    nodeProperties: 'multi-node parallel jobs',
    eksProperties: 'Amazon EKS jobs',
    ecsProperties: 'Amazon ECS task properties',
    schedulingPriority: 'fair-share scheduling',
  });
  if (type === 'multinode') {
    throw clientError(
      'the Batch emulator does not run multi-node parallel jobs; register a container job definition',
    );
  }
  const capabilities = optionalStringList(body, 'platformCapabilities');
  if (capabilities?.some((capability) => capability !== 'EC2')) {
    throw clientError('platformCapabilities: the Batch emulator runs EC2 jobs only');
  }
  const properties = body.containerProperties;
  if (properties === undefined || properties === null) {
    throw clientError('containerProperties is required for a container job definition');
  }
  if (typeof (properties as JsonObject).image !== 'string')
    throw clientError('containerProperties.image is required');
  const registration = {
    name: jobDefinitionName,
    type: type as JobDefinitionType,
    parameters: body.parameters,
    retryStrategy: body.retryStrategy,
    timeout: body.timeout,
    containerProperties: properties,
    tags: body.tags,
    propagateTags: body.propagateTags,
  } as JobDefinitionRegistration;
  const definition = registry.addDefinition(registration);
  return {
    jobDefinitionName: definition.name,
    jobDefinitionArn: definition.arn,
    revision: definition.revision,
  };
}
