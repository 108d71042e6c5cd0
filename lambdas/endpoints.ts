import { InvalidInputError } from './invalid-input';

/**
 * Where a poller may call a job system's HTTP API, and with which secret. The construct writes the
 * allowed pairs into the poller's environment (STEPWAIT_ENDPOINTS); a poll event's config may only name
 * one of them. Anything allowed to invoke the poller could otherwise pair any URL with any secret the
 * poller can read, and send the secret there.
 */
export const ENDPOINTS_ENV = 'STEPWAIT_ENDPOINTS';

export interface AllowedEndpoint {
  /** The job system (lambdas/job-systems.ts). */
  system: string;
  /** The API's base URL: https, no credentials, query or fragment. */
  baseUrl: string;
  /** The Secrets Manager secret with the system's credentials; absent for an API that takes none. */
  secretArn?: string;
}

/**
 * A base URL as stepwait accepts it: https only (credentials must not travel in clear text), without
 * user info, query or fragment, normalised without a trailing slash.
 * @throws InvalidInputError naming `field`
 */
export function checkBaseUrl(value: unknown, field: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    url.protocol !== 'https:' ||
    url.username ||
    url.password ||
    url.search ||
    url.hash
  ) {
    throw InvalidInputError.expected(field, 'an https URL without credentials, query or fragment', value);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The allowed endpoints in the poller's environment; a malformed list allows nothing. */
export function allowedEndpoints(env: NodeJS.ProcessEnv): AllowedEndpoint[] {
  const raw = env[ENDPOINTS_ENV];
  if (raw === undefined || raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidInputError(
      ENDPOINTS_ENV,
      'the poller environment holds no valid JSON list of endpoints',
    );
  }
  if (!Array.isArray(parsed)) {
    throw new InvalidInputError(ENDPOINTS_ENV, 'the poller environment holds no list of endpoints');
  }
  return parsed.map((entry, index) => {
    const record = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (
      typeof record.system !== 'string' ||
      (record.secretArn !== undefined && typeof record.secretArn !== 'string')
    ) {
      throw InvalidInputError.expected(
        `${ENDPOINTS_ENV}[${index}]`,
        '{ system, baseUrl, secretArn? }',
        entry,
      );
    }
    return {
      system: record.system,
      baseUrl: checkBaseUrl(record.baseUrl, `${ENDPOINTS_ENV}[${index}].baseUrl`),
      ...(record.secretArn === undefined ? {} : { secretArn: record.secretArn }),
    };
  });
}

/**
 * The allowed endpoint a config names for a system.
 * @throws InvalidInputError (config.endpoint) when the environment allows no such pair
 */
export function allowedEndpoint(
  allowed: readonly AllowedEndpoint[],
  system: string,
  endpoint: string | undefined,
): AllowedEndpoint {
  const found = allowed.find((entry) => entry.system === system && entry.baseUrl === endpoint);
  if (found === undefined) {
    const known = allowed.filter((entry) => entry.system === system).map((entry) => entry.baseUrl);
    throw InvalidInputError.expected(
      'config.endpoint',
      `an endpoint this poller is allowed to call for ${system} (${known.length > 0 ? known.join(', ') : 'none'})`,
      endpoint,
    );
  }
  return found;
}
