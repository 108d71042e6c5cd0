import { request as httpRequest } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChromium, launchChromium } from '../../../bin/chromium';
import { type JobsPage, startJobsPage } from '../../../bin/cli/ui/jobs-page-server';
import type { LocalIdentity } from '../../../lib/local/sigv4-verifier';
import { BATCH_STAGES, registryViewOf } from '../../../waiters';
import { ALICE, BOB, localRegistryApi, registryClientAs } from '../../lambdas/local-registry-api';
import { registryTables } from '../../lambdas/local-tables';
import { waitState } from '../../waiters/wait-state-fixture';

/**
 * The jobs page in a real browser: Debian's Chromium (never a downloaded one) driven by playwright-core, the
 * page served by `stepwait ui`'s server, which signs its calls to the registry API on a local function URL
 * that checks SigV4. Chromium starts with background networking off and a fresh profile: nothing may leave
 * 127.0.0.1.
 */
const XSS_NAME = '<img src=x onerror=alert(1)>';

const tables = registryTables();
let api: Awaited<ReturnType<typeof localRegistryApi>>;
let jobsPage: JobsPage;
let chromium: LocalChromium;
let browser: BrowserContext;
const ids: Record<string, string> = {};
const dialogs: string[] = [];
/** Every URL the browser asked for: all of them must be the page's own, on 127.0.0.1. */
const requested: string[] = [];

const clientOf = (who: LocalIdentity) => registryClientAs(api.url.url, who);

beforeAll(async () => {
  chromium = await launchChromium();
  browser = chromium.browser;
  api = await localRegistryApi(tables);
  for (const [who, name] of [
    [ALICE, 'alice-nightly'],
    [BOB, 'bob-hourly'],
    [ALICE, 'alice-weekly'],
    [ALICE, XSS_NAME],
  ] as const) {
    const started = await clientOf(who).call({
      method: 'POST',
      path: '/waits',
      body: { name, waiter: 'waiter', input: { jobId: `job-${Object.keys(ids).length}` } },
    });
    expect(started.status).toBe(201);
    ids[name] = (started.body as { wait: { waitId: string } }).wait.waitId;
  }
  jobsPage = await startJobsPage({
    registry: clientOf(ALICE),
    all: false,
    refreshSeconds: 1,
    consoleRegion: 'eu-west-1',
  });
  browser.on('request', (request) => requested.push(request.url()));
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await jobsPage?.stop();
  await api?.stop();
});

async function openPage(): Promise<Page> {
  const page = await browser.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(jobsPage.url);
  await page.locator('#waits tbody tr').first().waitFor();
  return page;
}

const rowOf = (page: Page, name: string) =>
  page.locator('#waits tbody tr').filter({ has: page.locator('td.name', { hasText: name }) });

describe('the jobs page in headless Chromium', () => {
  it("lists the user's own waits and not another user's", async () => {
    const page = await openPage();
    const names = await page.locator('#waits tbody td.name').allTextContents();
    expect(names.sort()).toEqual([XSS_NAME, 'alice-nightly', 'alice-weekly'].sort());
    expect(names).not.toContain('bob-hourly');
    await expect.poll(() => page.locator('#scope').textContent()).toBe('Your waits');
    await page.close();
  });

  it('shows a status change on screen without a reload', async () => {
    const page = await openPage();
    await page.evaluate(() => {
      (globalThis as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true;
    });
    await expect.poll(() => rowOf(page, 'alice-nightly').locator('td.status').textContent()).toBe('Pending');
    await api.store.recordEnd(ids['alice-nightly'] as string, 'SUCCEEDED', new Date().toISOString());
    await expect
      .poll(() => rowOf(page, 'alice-nightly').locator('td.status').textContent(), { timeout: 10_000 })
      .toBe('Complete');
    expect(
      await page.evaluate(() => (globalThis as unknown as { stillTheSamePage?: boolean }).stillTheSamePage),
    ).toBe(true);
    // A finished wait offers delete, not cancel.
    expect(await rowOf(page, 'alice-nightly').locator('button').allTextContents()).toEqual(['delete']);
    await page.close();
  });

  it('cancels a wait from its row, and the row says so', async () => {
    const page = await openPage();
    await rowOf(page, 'alice-weekly').locator('button[data-action="cancel"]').click();
    await expect
      .poll(() => rowOf(page, 'alice-weekly').locator('td.status').textContent(), { timeout: 10_000 })
      .toBe('Aborted');
    expect((await api.store.get(ids['alice-weekly'] as string))?.status).toBe('ABORTED');
    await page.close();
  });

  it("links each Batch job's log stream to the registry region's CloudWatch console, in its own log group", async () => {
    const started = await clientOf(ALICE).call({
      method: 'POST',
      path: '/waits',
      body: { name: 'alice-logged', waiter: 'waiter', input: { jobIds: ['j-default', 'j-own'] } },
    });
    const { waitId, executionArns } = (started.body as { wait: { waitId: string; executionArns: string[] } })
      .wait;
    const polled = waitState({
      stageIndex: 2,
      jobIds: ['j-default', 'j-own'],
      jobs: [
        { jobId: 'j-default', status: 'RUNNING', phase: 'running', logStreamName: 'etl/default/abc' },
        {
          jobId: 'j-own',
          status: 'RUNNING',
          phase: 'running',
          logStreamName: 'etl/default/def',
          detail: { logGroup: '/etl/nightly' },
        },
      ],
      waitedSeconds: 1,
      segmentPolls: 1,
      waitId,
    });
    await api.store.recordProgress(waitId, registryViewOf(polled, BATCH_STAGES, new Date().toISOString()), {
      executionArn: executionArns[0] as string,
    });
    const page = await openPage();
    await rowOf(page, 'alice-logged').locator('td.name').click();
    const links = page.locator('#detail-jobs a.log-link');
    await expect.poll(() => links.count()).toBe(2);
    expect(await links.nth(0).getAttribute('href')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Fbatch$252Fjob/log-events/etl$252Fdefault$252Fabc',
    );
    expect(await links.nth(1).getAttribute('href')).toContain('log-group/$252Fetl$252Fnightly/log-events/');
    expect(await links.nth(0).getAttribute('rel')).toBe('noopener noreferrer');
    await page.close();
  });

  it('shows a wait named like markup as text, running nothing', async () => {
    const page = await openPage();
    const cell = rowOf(page, XSS_NAME).locator('td.name');
    expect(await cell.textContent()).toBe(XSS_NAME);
    expect(await page.locator('#waits img').count()).toBe(0);
    await cell.click();
    await expect.poll(() => page.locator('#detail-name').textContent()).toBe(XSS_NAME);
    expect(await page.locator('#detail img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});

/** A raw request to the page's server, with headers fetch would not let a test set (Host). */
function raw(path: string, headers: Record<string, string>): Promise<number> {
  const { port } = new URL(jobsPage.origin);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

describe("the jobs page's server", () => {
  it('was the only thing the browser talked to', () => {
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((url) => !url.startsWith(`${jobsPage.origin}/`))).toEqual([]);
  });

  it('answers its API only with the run’s token, from its own origin, at its own host', async () => {
    const host = new URL(jobsPage.origin).host;
    expect(await raw('/api/waits', { host, 'x-stepwait-token': jobsPage.token })).toBe(200);
    expect(await raw('/api/waits', { host })).toBe(403);
    expect(await raw('/api/waits', { host, 'x-stepwait-token': 'f'.repeat(64) })).toBe(403);
    expect(
      await raw('/api/waits', { host, 'x-stepwait-token': jobsPage.token, origin: 'http://evil.example' }),
    ).toBe(403);
    // A DNS name rebound to 127.0.0.1 still carries its own Host.
    expect(await raw('/', { host: `evil.example:${new URL(jobsPage.origin).port}` })).toBe(421);
    expect(await raw('/api/other', { host, 'x-stepwait-token': jobsPage.token })).toBe(404);
  });

  it('serves the page under a policy that runs no inline script and frames nothing', async () => {
    const response = await fetch(`${jobsPage.origin}/`);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).not.toMatch(/<script>(?!<)/);
  });
});
