import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { parsePollerConfig } from '../lambdas/poller-config';
import { createRegistryApi } from '../lambdas/registry/api';
import { pollerConfigInDefinition } from '../lambdas/registry/registry-waiters';
import { LocalFunctionUrl } from '../lib/local/function-url-server';
import { LocalRegistry } from '../lib/local/local-registry';
import { synthesizeWaiter } from '../lib/local/local-waiter';
import type { LocalIdentity } from '../lib/local/sigv4-verifier';
import { LOCAL_CLIENT_SETTINGS } from '../lib/local/template';
import { type JobSummary, type RegistryView, type StageRecord, tethysStatus } from '../waiters';
import { launchChromium } from './chromium';
import { RegistryClient } from './cli/account/registry-client';
import { startJobsPage } from './cli/ui/jobs-page-server';

/**
 * `npm run screenshot`: the jobs page as the README shows it (docs/jobs-page.png). A local registry (dynalite)
 * holds a few waits of one user in several states, the registry API runs behind a local function URL that
 * checks SigV4, and `stepwait ui`'s server signs the page's calls; Debian's headless Chromium, driven by
 * playwright-core, takes the picture. Not a test: the tests (test/bin/ui/) check the page's behaviour.
 */
const OUTPUT = join(__dirname, '..', 'docs', 'jobs-page.png');
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:NightlyEtlWaiter';
const OPERATOR: LocalIdentity = {
  accessKeyId: 'AKIALOCALOPERATOR001',
  secretAccessKey: 'operator-local-secret',
  userId: 'AROAOPERATORROLEID01:dana',
  userArn: 'arn:aws:sts::123456789012:assumed-role/data-engineers/dana',
  accountId: '123456789012',
};
const NOW = Date.parse('2026-12-02T09:30:00Z');
const iso = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

interface DemoWait {
  name: string;
  description: string;
  minutesAgo: number;
  jobs: JobSummary[];
  stages: StageRecord[];
  ended?: 'SUCCEEDED' | 'FAILED';
}

const job = (id: string, status: string, phase: JobSummary['phase'], extra: Partial<JobSummary> = {}) => ({
  jobId: id,
  status,
  ...(phase === undefined ? {} : { phase }),
  ...extra,
});

const DEMO: DemoWait[] = [
  {
    name: 'nightly-etl-2026-12-02',
    description: 'Warehouse load of the day’s orders',
    minutesAgo: 95,
    jobs: [job('5f2c1e7a-orders', 'RUNNING', 'running', { logStreamName: 'etl/default/5f2c1e7a' })],
    stages: [
      { waiter: 'JobExists', attempts: 1, startedAt: iso(95), finishedAt: iso(95) },
      { waiter: 'JobRunning', attempts: 1, startedAt: iso(95), finishedAt: iso(88) },
      { waiter: 'JobComplete', attempts: 2, startedAt: iso(88) },
    ],
  },
  {
    name: 'backfill-2026-11',
    description: 'Re-run of November, three partitions',
    minutesAgo: 240,
    jobs: [
      job('a1-nov-01', 'SUCCEEDED', 'succeeded', { exitCode: 0 }),
      job('a2-nov-02', 'RUNNING', 'running'),
      job('a3-nov-03', 'RUNNABLE', 'queued'),
    ],
    stages: [{ waiter: 'JobComplete', attempts: 4, startedAt: iso(240) }],
  },
  {
    name: 'nightly-etl-2026-12-01',
    description: 'Warehouse load of the day’s orders',
    minutesAgo: 1535,
    jobs: [
      job('9d41b0c2-orders', 'SUCCEEDED', 'succeeded', {
        exitCode: 0,
        logStreamName: 'etl/default/9d41b0c2',
      }),
    ],
    stages: [{ waiter: 'JobComplete', attempts: 3, startedAt: iso(1535), finishedAt: iso(1410) }],
    ended: 'SUCCEEDED',
  },
  {
    name: 'quality-checks-2026-12-01',
    description: 'Row counts and null checks after the load',
    minutesAgo: 1400,
    jobs: [
      job('c7e2-checks', 'FAILED', 'failed', {
        exitCode: 2,
        statusReason: 'Essential container in task exited',
        logStreamName: 'checks/default/c7e2',
      }),
    ],
    stages: [{ waiter: 'JobComplete', attempts: 2, startedAt: iso(1400), finishedAt: iso(1380) }],
    ended: 'FAILED',
  },
];

async function main(): Promise<void> {
  let clock = NOW - 2_000 * 60_000;
  const registry = await LocalRegistry.start(() => clock);
  const api = createRegistryApi({
    store: registry.store,
    // The page only lists and reads: nothing here starts or stops an execution.
    sfn: new SFNClient({ ...LOCAL_CLIENT_SETTINGS, endpoint: 'http://127.0.0.1:9' }),
    waiters: [
      {
        name: 'nightly',
        stateMachineArn: MACHINE,
        parsed: parsePollerConfig(pollerConfigInDefinition(synthesizeWaiter({ examples: false }).definition)),
      },
    ],
    adminIds: new Set(),
    terminate: async () => [],
    newWaitId: () => crypto.randomUUID(),
    now: () => clock,
    log: () => undefined,
  });
  const url = await LocalFunctionUrl.start(api, { iam: { region: 'us-east-1', identities: [OPERATOR] } });
  try {
    for (const [index, wait] of [...DEMO].reverse().entries()) {
      clock = NOW - wait.minutesAgo * 60_000;
      const waitId = `c0000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`;
      const executionArn = `${MACHINE.replace(':stateMachine:', ':execution:')}:${waitId}`;
      await registry.store.register({
        waitId,
        name: wait.name,
        description: wait.description,
        owner: { id: 'AROAOPERATORROLEID01', verified: true, display: 'role/data-engineers' },
        stateMachineArn: MACHINE,
        executionArn,
        request: { jobId: wait.jobs[0]?.jobId },
        submitsJobs: false,
      });
      const status = wait.ended ?? 'RUNNING';
      const view: RegistryView = {
        status,
        tethysStatus: tethysStatus(status, wait.jobs),
        stage: wait.stages.at(-1)?.waiter ?? 'JobComplete',
        jobIds: wait.jobs.map((entry) => entry.jobId),
        submittedJobIds: [],
        jobs: wait.jobs,
        stages: wait.stages,
        startedAt: iso(wait.minutesAgo),
        deadline: iso(wait.minutesAgo - 24 * 60),
        ...(wait.ended ? { completedAt: wait.stages.at(-1)?.finishedAt ?? iso(0) } : {}),
        sequence: 10,
      };
      await registry.store.recordProgress(waitId, view, { executionArn });
    }
    clock = NOW;
    const page = await startJobsPage({
      registry: new RegistryClient(url.url, OPERATOR, 'us-east-1'),
      all: false,
      refreshSeconds: 5,
    });
    const chromium = await launchChromium({ width: 1280, height: 760 });
    try {
      const tab = await chromium.browser.newPage();
      await tab.goto(page.url);
      await tab
        .locator('#waits tbody tr')
        .nth(DEMO.length - 1)
        .waitFor();
      await tab.locator('#waits tbody td.name', { hasText: 'quality-checks-2026-12-01' }).click();
      await tab.locator('#detail-jobs tbody tr').first().waitFor();
      await tab.screenshot({ path: OUTPUT, fullPage: true });
    } finally {
      await chromium.close();
      await page.stop();
    }
    process.stdout.write(`wrote ${OUTPUT}\n`);
  } finally {
    await url.stop();
    await registry.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshot: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
