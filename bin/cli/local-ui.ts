import { LocalDeployment } from '../../lib/local/local-deployment';
import { keysOf, LOCAL_ADMINS, LOCAL_USERS, type LocalUser, uniqueIdOf } from '../../lib/local/local-users';
import { synthesizeWaiter } from '../../lib/local/local-waiter';
import { seededRandom } from '../../lib/local/seeded-random';
import { LOCAL_REGION } from '../../lib/local/template';
import { rows } from './account/io';
import { RegistryClient } from './account/registry-client';
import type { Output } from './local-live-view';
import type { LocalCommandOptions } from './local-options';
import { LocalUiWaits, NEW_WAIT_EVERY_SECONDS, OPENING_WAITS } from './local-ui-waits';
import { type JobsPage, startJobsPage } from './ui/jobs-page-server';

/**
 * `stepwait local --ui`: the example app with a registry of waits, deployed on 127.0.0.1 and left running
 * (lib/local/local-deployment.ts), several simulated users' waits in flight, and a jobs page per user, each
 * served by `stepwait ui`'s own server and signing with that user's local key, so each sees what the
 * registry lets them see. Runs until Ctrl-C (or `untilStopped`).
 */
export interface LocalUiRun {
  /** Each user's jobs page, by user name. */
  readonly pages: Readonly<Record<string, JobsPage>>;
  readonly deployment: LocalDeployment;
  readonly waits: LocalUiWaits;
}

export async function runLocalUi(
  options: LocalCommandOptions,
  output: Output,
  untilStopped: (run: LocalUiRun) => Promise<void>,
): Promise<number> {
  const synthesized = synthesizeWaiter({
    examples: false,
    registry: { admins: LOCAL_ADMINS.map(uniqueIdOf) },
    ...(options.wakeUp === 'events' ? { waiter: { wakeUp: 'events' } } : {}),
  });
  const random = seededRandom(options.seed);
  const deployment = await LocalDeployment.start({
    template: synthesized.template,
    stateMachineArn: synthesized.stateMachineArn,
    users: LOCAL_USERS,
    speed: options.speed,
    random,
  });
  const isAdmin = (user: LocalUser) => deployment.routes.adminIds.includes(uniqueIdOf(user));
  const pages: Record<string, JobsPage> = {};
  try {
    const waits = new LocalUiWaits(deployment, random, (error) =>
      output.err(`stepwait local --ui: a new wait did not start: ${error.message}\n`),
    );
    await waits.open();
    for (const user of LOCAL_USERS) {
      pages[user.name] = await startJobsPage({
        registry: new RegistryClient(deployment.registryUrl, keysOf(user), LOCAL_REGION),
        all: isAdmin(user),
        refreshSeconds: 5,
      });
    }
    const owners = (name: string) => OPENING_WAITS.filter((wait) => wait.user.name === name).length;
    output.out(
      [
        `stepwait local --ui: the example app with a registry of waits, deployed on 127.0.0.1; its clock runs ${options.speed}x real time${options.speed === 60 ? ' (a minute a second)' : ''}${options.wakeUp === 'events' ? ', waits park until events wake them' : ''}.`,
        `Started ${OPENING_WAITS.length + 1} waits: ${owners('alice')} of alice's, ${owners('bob')} of bob's, and one by the nightly schedule (not through the registry: unverified, for admins only).`,
        `A new one starts every ${NEW_WAIT_EVERY_SECONDS / 60} minutes of its clock.`,
        '',
        "Jobs pages, each signing its calls with its user's local key:",
        ...rows(
          LOCAL_USERS.map((user) => [
            `  ${user.name}${isAdmin(user) ? ' (admin: every owner)' : ''}`,
            pages[user.name]?.url ?? '',
          ]),
        ).split('\n'),
        '',
        `The registry API: ${deployment.registryUrl} (AuthType AWS_IAM). The account CLI works against it, e.g. as alice:`,
        `  AWS_ACCESS_KEY_ID=${LOCAL_USERS[0]?.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_USERS[0]?.secretAccessKey} AWS_REGION=${LOCAL_REGION} \\`,
        `    npx stepwait list --mine --registry-url ${deployment.registryUrl}`,
        '(Ctrl-C stops it)',
        '',
      ].join('\n'),
    );
    await untilStopped({ pages, deployment, waits });
  } finally {
    for (const page of Object.values(pages)) await page.stop();
    await deployment.stop();
  }
  return 0;
}

/** Until Ctrl-C (SIGINT) or SIGTERM. */
export const untilSignalled = (): Promise<void> =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
