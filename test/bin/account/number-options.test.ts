import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT_COMMANDS, type AccountCommandName } from '../../../bin/cli/account/command';
import { MAX_TIMEOUT_SECONDS } from '../../../bin/cli/account/start';
import { JobWaiter } from '../../../lib/job-waiter';
import { MACHINE_ARN, run } from './harness';

const sfn = mockClient(SFNClient);
const cloudFormation = mockClient(CloudFormationClient);

beforeEach(() => {
  sfn.reset();
  cloudFormation.reset();
});

interface NumberOption {
  command: AccountCommandName;
  option: string;
  /** The rest of a command line that would run. */
  args: string[];
  /** What the message must say is allowed. */
  allowed: RegExp;
  /** A value it takes, so the refusals below are about the value and nothing else. */
  valid: string;
}

/** Every option of the account commands that takes a number or a duration. */
const NUMBER_OPTIONS: NumberOption[] = [
  {
    command: 'start',
    option: '--timeout',
    args: ['--job-id', 'a', '--state-machine-arn', MACHINE_ARN],
    allowed: /whole seconds or a duration like 90s, 30m, 2h, 1d, from 1s to 364d|from 1s to 364d/,
    valid: '2h',
  },
  {
    command: 'list',
    option: '--max',
    args: ['--state-machine-arn', MACHINE_ARN],
    allowed: /a whole number from 1 to 1000/,
    valid: '50',
  },
  {
    command: 'ui',
    option: '--refresh',
    args: ['--registry-url', 'http://127.0.0.1:1/'],
    allowed: /a whole number from 1 to 300/,
    valid: '5',
  },
  {
    command: 'ui',
    option: '--port',
    args: ['--registry-url', 'http://127.0.0.1:1/'],
    allowed: /a whole number from 1024 to 65535/,
    valid: '47123',
  },
];

describe('stepwait account commands: numeric options', () => {
  it('the table above covers every option whose usage takes <n> or <s>', () => {
    const documented = Object.entries(ACCOUNT_COMMANDS).flatMap(([command, { usage }]) =>
      [...usage.matchAll(/^ {2}(--[a-z-]+) <(n|s)>/gm)].map((match) => `${command} ${match[1]}`),
    );
    expect(documented.length).toBeGreaterThan(0);
    expect(NUMBER_OPTIONS.map(({ command, option }) => `${command} ${option}`).sort()).toEqual(
      documented.sort(),
    );
  });

  // Negative values both as the next argument (which node:util parseArgs calls ambiguous) and after "=".
  const values: [string, (option: string) => string[], string][] = [
    ['negative', (option) => [option, '-1'], '"-1", which is negative'],
    ['negative, with a unit or not', (option) => [option, '-1h'], '"-1h"'],
    ['negative after =', (option) => [`${option}=-5`], '"-5", which is negative'],
    ['zero', (option) => [option, '0'], '"0"'],
    ['fractional', (option) => [option, '2.5'], '"2.5", which is not a whole number'],
    ['huge', (option) => [option, '99999999999999999999'], '"99999999999999999999"'],
    ['huge, in days', (option) => [option, '1000000d'], '"1000000d"'],
    ['not a number', (option) => [option, 'soon'], '"soon"'],
  ];
  const cases = NUMBER_OPTIONS.flatMap((spec) =>
    values.map(
      ([name, args, came]) => [`${spec.command} ${spec.option}: ${name}`, spec, args, came] as const,
    ),
  );

  it.each(cases)(
    '%s: exit 2, the message names the option, what is allowed and what came',
    async (_name, spec, valueArgs, came) => {
      const { code, stderr, stdout } = await run(spec.command, [...valueArgs(spec.option), ...spec.args]);
      expect(code).toBe(2);
      const message = stderr.split('\n')[0] ?? '';
      expect(message).toMatch(new RegExp(`^stepwait ${spec.command}: ${spec.option}: `));
      expect(message).toMatch(spec.allowed);
      expect(message).toContain(came);
      expect(stderr).toContain(`Usage: stepwait ${spec.command}`);
      expect(stdout).toBe('');
      expect(sfn.calls()).toHaveLength(0);
      expect(cloudFormation.calls()).toHaveLength(0);
    },
  );

  it.each(NUMBER_OPTIONS)('$command $option takes a valid value', async (spec) => {
    sfn.onAnyCommand().resolves({ executions: [], executionArn: 'arn:aws:states:us-east-1:1:execution:m:e' });
    // `ui` serves until stopped: here, at once.
    const { code, stderr } = await run(spec.command, [spec.option, spec.valid, ...spec.args], {
      untilStopped: async () => undefined,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it("--timeout's limit is the construct's largest maxTimeout: the construct refuses one second more", () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Limits');
    expect(
      () => new JobWaiter(stack, 'Longest', { maxTimeout: Duration.seconds(MAX_TIMEOUT_SECONDS) }),
    ).not.toThrow();
    expect(
      () => new JobWaiter(stack, 'Longer', { maxTimeout: Duration.seconds(MAX_TIMEOUT_SECONDS + 1) }),
    ).toThrowError(/maxTimeout: expected at most 364 days/);
  });
});
