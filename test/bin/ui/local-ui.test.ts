import { TerminateJobCommand } from '@aws-sdk/client-batch';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChromium, launchChromium } from '../../../bin/chromium';
import type { Output } from '../../../bin/cli/account/io';
import { localCommand } from '../../../bin/cli/local-command';
import type { LocalUiRun } from '../../../bin/cli/local-ui';
import { job, OPENING_WAITS } from '../../../bin/cli/local-ui-waits';
import { localBatchClient } from '../../../lib/local/batch-integrations';
import { ALICE } from '../../../lib/local/local-users';

/**
 * `stepwait local --ui` as a user runs it: the command deploys the example app with a registry on
 * 127.0.0.1, starts several simulated users' waits through the registry API and prints a jobs page per
 * user; the test opens the printed addresses in Debian's headless Chromium. Nothing here feeds the registry
 * or mocks Step Functions: every status comes from a real local execution polling the local Batch.
 */
let chromium: LocalChromium;
let browser: BrowserContext;
let run: LocalUiRun;
let stop: () => void;
let finished: Promise<number>;
const printed: string[] = [];
const requested: string[] = [];

const output: Output = {
  out: (text) => printed.push(text),
  err: (text) => printed.push(text),
  live: false,
};

/** The address printed for `user`'s jobs page. */
function pageUrl(user: string): string {
  const line = printed
    .join('')
    .split('\n')
    .find((candidate) => new RegExp(`^  ${user}\\b`).test(candidate));
  const url = line?.match(/http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}/)?.[0];
  if (url === undefined) throw new Error(`no jobs page printed for ${user}:\n${printed.join('')}`);
  return url;
}

beforeAll(async () => {
  chromium = await launchChromium();
  browser = chromium.browser;
  browser.on('request', (request) => requested.push(request.url()));
  const started = new Promise<void>((resolve) => {
    finished = localCommand(['--ui', '--speed', '120', '--seed', '4'], output, (ui) => {
      run = ui;
      resolve();
      return new Promise<void>((resolveStop) => {
        stop = resolveStop;
      });
    });
    finished.catch(() => resolve());
  });
  await started;
  if (run === undefined) throw new Error(`stepwait local --ui did not start: ${await finished}`);
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  stop?.();
  expect(await finished).toBe(0);
});

async function openPage(user: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(pageUrl(user));
  await page.locator('#waits tbody tr').first().waitFor();
  return page;
}

const rowOf = (page: Page, name: string) =>
  page.locator('#waits tbody tr').filter({ has: page.locator('td.name', { hasText: name }) });
const statusOf = (page: Page, name: string) => rowOf(page, name).locator('td.status').textContent();
const namesOf = (user: string) =>
  OPENING_WAITS.filter((wait) => wait.user.name === user).map((wait) => wait.name);

describe('stepwait local --ui in headless Chromium', () => {
  it("shows each user their own waits only, and the admin everyone's, the unverified one too", async () => {
    const alice = await openPage('alice');
    await expect
      .poll(async () => (await alice.locator('#waits tbody td.name').allTextContents()).sort())
      .toEqual(expect.arrayContaining(namesOf('alice')));
    const aliceNames = await alice.locator('#waits tbody td.name').allTextContents();
    // Later waits start on their own (alice-adhoc-<n>); none of them is anyone else's.
    expect(
      aliceNames.filter((name) => !namesOf('alice').includes(name) && !name.startsWith('alice-adhoc-')),
    ).toEqual([]);
    const ops = await openPage('ops');
    await expect
      .poll(async () => ops.locator('#waits tbody td.name').allTextContents())
      .toEqual(expect.arrayContaining([...namesOf('alice'), ...namesOf('bob')]));
    // The schedule's wait, started outside the registry, is named after its job and owned by nobody verified:
    // the admin sees it, alice does not.
    const scheduled = run.waits.scheduledJobId as string;
    await expect.poll(() => rowOf(ops, scheduled).locator('td.owner').textContent()).toBe('unverified');
    expect(aliceNames).not.toContain(scheduled);
    await alice.close();
    await ops.close();
  });

  it('shows a wait end on screen without a reload, as its job ends in the local Batch', async () => {
    const page = await openPage('alice');
    await page.evaluate(() => {
      (globalThis as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true;
    });
    // A wait started now on a job of a day (12 minutes at 120x): the page shows it unfinished...
    const name = 'alice-live-check';
    await run.waits.start({ user: ALICE, name, description: 'started by the test', jobs: [job(60, 86_400)] });
    await expect
      .poll(() => statusOf(page, name), { timeout: 20_000 })
      .toMatch(/^(Pending|Submitted|Running)$/);
    // ...until its job is terminated in the local Batch, which the wait's next poll sees.
    const [jobId] = run.waits.started.find((wait) => wait.name === name)?.jobIds ?? [];
    await localBatchClient(run.deployment.batch.endpoint).send(
      new TerminateJobCommand({ jobId: jobId as string, reason: 'stopped by the test' }),
    );
    await expect.poll(() => statusOf(page, name), { timeout: 60_000, interval: 500 }).toBe('Error');
    expect(
      await page.evaluate(() => (globalThis as unknown as { stillTheSamePage?: boolean }).stillTheSamePage),
    ).toBe(true);
    await page.close();
  });

  it('cancels a running wait from its row: the row says Aborted and the local execution stopped', async () => {
    const page = await openPage('bob');
    const name = 'churn-model-training';
    await expect.poll(() => statusOf(page, name), { timeout: 30_000 }).toMatch(/^(Submitted|Running)$/);
    // Its run time is on the registry's clock (120x here), not the browser's.
    await expect
      .poll(() => rowOf(page, name).locator('td.run-time').textContent(), { timeout: 20_000 })
      .toMatch(/^(\d+h )?[1-9]\d*m \d+s$/);
    await rowOf(page, name).locator('button[data-action="cancel"]').click();
    await expect.poll(() => statusOf(page, name), { timeout: 20_000 }).toBe('Aborted');
    const waitId = run.waits.started.find((wait) => wait.name === name)?.waitId;
    const execution = run.deployment.executions.list().find((candidate) => candidate.name === waitId);
    expect(execution?.status).toBe('ABORTED');
    await page.close();
  });

  it('talked to nothing but the pages it was given, on 127.0.0.1', () => {
    const origins = Object.values(run.pages).map((page) => `${page.origin}/`);
    expect(requested.length).toBeGreaterThan(5);
    expect(requested.filter((url) => !origins.some((origin) => url.startsWith(origin)))).toEqual([]);
  });
});
