import { describe, expect, it } from 'vitest';
import { callerOf } from '../../lambdas/registry/owner';

const request = (iam: Record<string, unknown> | undefined) =>
  ({ requestContext: { authorizer: iam && { iam } } }) as never;

describe('callerOf: the owner is what the caller cannot choose', () => {
  it('takes a role’s unique id and drops the session name the caller picked', () => {
    const alice = callerOf(
      request({
        accountId: '123456789012',
        userId: 'AROAEXAMPLEROLEID1234:alice-laptop',
        userArn: 'arn:aws:sts::123456789012:assumed-role/loader/alice-laptop',
      }),
    );
    const sameRoleOtherSession = callerOf(
      request({
        accountId: '123456789012',
        userId: 'AROAEXAMPLEROLEID1234:bob',
        userArn: 'arn:aws:sts::123456789012:assumed-role/loader/bob',
      }),
    );
    expect(alice).toEqual({
      ownerId: 'AROAEXAMPLEROLEID1234',
      display: 'role/loader',
      accountId: '123456789012',
    });
    expect(sameRoleOtherSession).toMatchObject({ ownerId: 'AROAEXAMPLEROLEID1234' });
  });

  it('takes an IAM user’s unique id, its path dropped from the display name only', () => {
    expect(
      callerOf(
        request({
          accountId: '123456789012',
          userId: 'AIDAEXAMPLEUSERID1234',
          userArn: 'arn:aws:iam::123456789012:user/team/ops/alice',
        }),
      ),
    ).toEqual({ ownerId: 'AIDAEXAMPLEUSERID1234', display: 'user/alice', accountId: '123456789012' });
  });

  it('refuses a request without an IAM identity, the root user and federated users, by name', () => {
    expect(callerOf(request(undefined))).toEqual({
      refused: expect.stringMatching(/no IAM identity.*AWS_IAM/),
    });
    expect(callerOf(request({ accountId: '123456789012', userId: '123456789012' }))).toEqual({
      refused: expect.stringMatching(/not an IAM user or role/),
    });
    expect(
      callerOf(request({ accountId: '123456789012', userId: '123456789012:federated-alice' })),
    ).toMatchObject({
      refused: expect.stringMatching(/federated/),
    });
    expect(
      callerOf(request({ accountId: '123456789012', userId: 'AIDAEXAMPLEUSERID1234:x' })),
    ).toHaveProperty('refused');
    expect(callerOf(request({ accountId: '123456789012', userId: 'ASIATEMPORARYKEY1234' }))).toHaveProperty(
      'refused',
    );
  });
});
