import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { batchJobSystem, type JobSystemModel } from '../waiters';
import { airbyteJobSystem } from '../waiters/airbyte/jobs';
import { dqopsJobSystem } from '../waiters/dqops/jobs';
import { airbyteIo } from './airbyte/io';
import { connectBatch } from './batch/io';
import { dqopsIo } from './dqops/io';
import { allowedEndpoint, allowedEndpoints } from './endpoints';
import type { Fetch } from './http-json';
import type { HttpSystemOptions } from './http-session';
import { InvalidInputError } from './invalid-input';
import type { JobSystemIO } from './job-system-io';
import { cachedSecret } from './secrets';

/**
 * The registry of job systems: the one place a system is added. Each pairs its pure model
 * (waiters/<system>/) with its I/O (lambdas/<system>/); the poller, the config check and the constructs
 * find a system here by the id its config names.
 */
export interface RegisteredJobSystem {
  readonly model: JobSystemModel;
  /** `required`: an HTTP API whose base URL the config names (`endpoint`), allowed by the poller's environment. */
  readonly endpoint: 'none' | 'required';
  /** The poller can start a business key's job (`trigger` in the config). */
  readonly triggers?: boolean;
  /**
   * The poller's I/O, from the Lambda's environment (set by the construct) and the config's endpoint.
   * Local runs give their own edge (`edge`): a fetch to the emulator and a Secrets Manager client on
   * 127.0.0.1; everything else is the deployed code.
   */
  connect(env: NodeJS.ProcessEnv, endpoint: string | undefined, edge?: PollerEdge): JobSystemIO;
}

/** Where a poller's calls leave the process: the deployed defaults, or local emulators. */
export interface PollerEdge {
  readonly fetch?: Fetch;
  readonly secrets?: SecretsManagerClient;
  /** The clock of the systems' answers (Retry-After dates, token lifetimes): the virtual one in local runs. */
  readonly now?: () => number;
}

let secretsClient: SecretsManagerClient | undefined;

/** One Secrets Manager client per container, retrying nothing itself (a failed read is a retry in the machine). */
function secrets(): SecretsManagerClient {
  secretsClient ??= new SecretsManagerClient({
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 },
  });
  return secretsClient;
}

/**
 * `connect` of a system reached over HTTP: the endpoint the config names must be one the poller's
 * environment allows for the system, and its secret (if any) is read through a cache.
 */
function connectHttp(
  system: string,
  io: (options: HttpSystemOptions) => JobSystemIO,
): RegisteredJobSystem['connect'] {
  return (env, endpoint, edge = {}) => {
    const allowed = allowedEndpoint(allowedEndpoints(env), system, endpoint);
    return io({
      baseUrl: allowed.baseUrl,
      ...(allowed.secretArn === undefined
        ? {}
        : {
            secret: {
              secretArn: allowed.secretArn,
              source: cachedSecret(edge.secrets ?? secrets(), allowed.secretArn),
            },
          }),
      fetch: edge.fetch ?? globalThis.fetch,
      ...(edge.now === undefined ? {} : { now: edge.now }),
    });
  };
}

export const JOB_SYSTEMS: Readonly<Record<string, RegisteredJobSystem>> = {
  batch: { model: batchJobSystem, endpoint: 'none', connect: (env) => connectBatch(env) },
  dqops: { model: dqopsJobSystem, endpoint: 'required', connect: connectHttp('dqops', dqopsIo) },
  airbyte: {
    model: airbyteJobSystem,
    endpoint: 'required',
    triggers: true,
    connect: connectHttp('airbyte', airbyteIo),
  },
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
