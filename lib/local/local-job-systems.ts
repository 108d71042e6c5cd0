import { createHash, randomUUID } from 'node:crypto';
import { allowedEndpoints } from '../../lambdas/endpoints';
import type { JobSystemIO, JobSystemIOs } from '../../lambdas/job-system-io';
import { JOB_SYSTEMS } from '../../lambdas/job-systems';
import { AirbyteEmulator } from './airbyte-emulator';
import { DqopsEmulator } from './dqops-emulator';
import type { LocalJobSite } from './local-job-site';
import { loopbackFetch } from './loopback-fetch';
import type { RunnableMachine } from './runnable-machine';
import { SecretsEmulator } from './secrets-emulator';
import type { Clock } from './virtual-clock';

/**
 * The job systems other than AWS Batch, here: a DQOps emulator and a Secrets Manager emulator on
 * 127.0.0.1. A poller reaches them through the deployed I/O code (lambdas/job-systems.ts `connect`), with
 * the endpoints and secrets its own environment in the template allows; only the edge differs (a fetch to
 * the emulator, a Secrets Manager client on loopback). The secrets the template names hold a local API key
 * that the DQOps emulator requires, as a real DQOps with authentication would.
 */
export interface LocalJobSystems {
  readonly dqops: DqopsEmulator;
  readonly airbyte: AirbyteEmulator;
  /** The stand-in of each system, by id, for whoever puts jobs there without naming the system. */
  site(systemId: string): LocalJobSite;
  readonly secrets: SecretsEmulator;
  /** The API key every local secret holds (and the DQOps emulator requires, when a secret is used). */
  readonly apiKey: string;
  /** The non-Batch I/O of one poller, as its environment allows. */
  systemsFor(pollerLogicalId: string): JobSystemIOs;
  /** A new Lambda container for every poller: credentials are read from Secrets Manager again. */
  coldStart(): void;
  stop(): Promise<void>;
}

export const LOCAL_API_KEY = 'stepwait-local-dqops-key';
/** The client credentials every local Airbyte secret holds (and the Airbyte emulator accepts). */
export const LOCAL_AIRBYTE_CLIENT = {
  clientId: 'stepwait-local-client',
  clientSecret: 'stepwait-local-secret',
};

/** What each system's secret holds locally, in the form its I/O reads. */
const LOCAL_SECRET_VALUES: Readonly<Record<string, string>> = {
  dqops: JSON.stringify({ apiKey: LOCAL_API_KEY }),
  airbyte: JSON.stringify(LOCAL_AIRBYTE_CLIENT),
};

export async function startLocalJobSystems(
  machine: RunnableMachine,
  clock: Clock,
  options: { historySeconds?: number; random?: () => number } = {},
): Promise<LocalJobSystems> {
  const allowed = Object.values(machine.pollerEnvironments).flatMap((env) => allowedEndpoints(env));
  const secrets = await SecretsEmulator.start();
  for (const { system, secretArn } of allowed) {
    const value = LOCAL_SECRET_VALUES[system];
    if (secretArn !== undefined && value !== undefined) secrets.put(secretArn, value);
  }
  const keyed = allowed.some((entry) => entry.system === 'dqops' && entry.secretArn !== undefined);
  const dqops = await DqopsEmulator.start({
    clock,
    ...(keyed ? { apiKey: LOCAL_API_KEY } : {}),
    ...(options.historySeconds === undefined ? {} : { historySeconds: options.historySeconds }),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const airbyteKeyed = allowed.some((entry) => entry.system === 'airbyte' && entry.secretArn !== undefined);
  const airbyte = await AirbyteEmulator.start({
    clock,
    ...(airbyteKeyed ? { credentials: LOCAL_AIRBYTE_CLIENT } : {}),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const origins: Record<string, string> = { dqops: dqops.origin, airbyte: airbyte.origin };
  const client = secrets.client();
  const connected = new Map<string, JobSystemIO>();
  const sites: Record<string, LocalJobSite> = { dqops: dqopsSite(dqops), airbyte: airbyteSite(airbyte) };
  return {
    dqops,
    airbyte,
    site: (systemId) => {
      const site = sites[systemId];
      if (site === undefined) throw new RangeError(`no local stand-in for job system ${systemId}`);
      return site;
    },
    secrets,
    apiKey: LOCAL_API_KEY,
    systemsFor: (pollerLogicalId) => (id, endpoint) => {
      const key = `${pollerLogicalId} ${id} ${endpoint ?? ''}`;
      let io = connected.get(key);
      if (io === undefined) {
        const system = JOB_SYSTEMS[id];
        const origin = origins[id];
        if (system === undefined || origin === undefined) throw new RangeError(`no local ${id} to poll`);
        const env = machine.pollerEnvironments[pollerLogicalId] ?? {};
        io = system.connect(env, endpoint, {
          fetch: loopbackFetch(origin),
          secrets: client,
          now: () => clock.now(),
        });
        connected.set(key, io);
      }
      return io;
    },
    coldStart: () => connected.clear(),
    stop: async () => {
      await Promise.all([dqops.stop(), airbyte.stop(), secrets.stop()]);
    },
  };
}

/** A site's faults in the words the HTTP emulators share. */
function emulatorFaults({
  throttleProbability,
  retryAfterSeconds,
  serverErrors,
}: Parameters<LocalJobSite['setFaults']>[0]) {
  return {
    ...(throttleProbability ? { throttleProbability } : {}),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    ...(serverErrors ? { serverErrorNext: serverErrors } : {}),
  };
}

/** An HTTP emulator's requests as status calls: 429 throttled, 5xx an error, anything else answered. */
function statusCallsOf(
  requests: readonly { method: string; path: string; at: number; status: number }[],
  isStatusCall: (request: { method: string; path: string }) => boolean,
): ReturnType<LocalJobSite['statusCalls']> {
  return requests.filter(isStatusCall).map(({ at, status }) => ({
    at,
    outcome: status === 429 ? 'throttled' : status >= 500 ? 'error' : 'ok',
  }));
}

/** DQOps' emulator as a local job site. */
function dqopsSite(emulator: DqopsEmulator): LocalJobSite {
  return {
    origin: emulator.origin,
    startJob: ({ queuedSeconds, runSeconds, outcome }, businessKey) =>
      emulator.startJob(
        { queuedSeconds, runSeconds, outcome: outcome === 'failed' ? 'failed' : 'finished' },
        businessKey,
      ),
    businessKeyFor: (name) => name,
    stoppedAt: (jobId) => {
      const job = emulator.job(jobId);
      if (job === undefined || !['finished', 'failed', 'cancelled'].includes(String(job.status)))
        return undefined;
      return Date.parse(String(job.statusChangedAt));
    },
    setFaults: (faults) => emulator.setFaults(emulatorFaults(faults)),
    statusCalls: () => statusCallsOf(emulator.requests, (request) => request.method === 'GET'),
    get throttledCalls() {
      return emulator.throttledCalls;
    },
  };
}

/**
 * Airbyte's emulator as a local job site: a simulated job is a sync of its connection (the business key,
 * or a new one), started as Airbyte's schedule would.
 */
function airbyteSite(emulator: AirbyteEmulator): LocalJobSite {
  return {
    origin: emulator.origin,
    startJob: ({ queuedSeconds, runSeconds, outcome }, businessKey) =>
      emulator.startSync(businessKey ?? randomUUID(), {
        pendingSeconds: queuedSeconds,
        runSeconds,
        outcome: outcome === 'failed' ? 'failed' : 'succeeded',
      }),
    // A connection id is a UUID: the same name always gives the same connection.
    businessKeyFor: (name) => {
      const hex = createHash('sha256').update(name).digest('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    },
    stoppedAt: (jobId) => {
      const job = emulator.job(jobId);
      if (job === undefined || !['succeeded', 'failed', 'cancelled'].includes(String(job.status)))
        return undefined;
      return Date.parse(String(job.lastUpdatedAt));
    },
    setFaults: (faults) => emulator.setFaults(emulatorFaults(faults)),
    // A status round's calls: the GETs and the token requests they needed (not sync triggers).
    statusCalls: () =>
      statusCallsOf(
        emulator.requests,
        (request) => request.method === 'GET' || request.path.endsWith('/applications/token'),
      ),
    get throttledCalls() {
      return emulator.throttledCalls;
    },
  };
}
