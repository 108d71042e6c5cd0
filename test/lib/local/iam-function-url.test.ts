import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalFunctionUrl } from '../../../lib/local/function-url-server';
import type { LocalIdentity } from '../../../lib/local/sigv4-verifier';
import { ALICE, BOB, localRegistryApi, REGION, registryClientAs } from '../../lambdas/local-registry-api';
import { registryTables } from '../../lambdas/local-tables';

/**
 * The registry API behind a local function URL with AuthType AWS_IAM: requests signed with Signature Version
 * 4 by local access keys, each a simulated principal, checked as Lambda checks them before the function runs.
 */

const tables = registryTables();
let api: Awaited<ReturnType<typeof localRegistryApi>>;
let url: LocalFunctionUrl;
let invocations: LambdaFunctionURLEvent[];

beforeAll(async () => {
  api = await localRegistryApi(tables);
  url = api.url;
  invocations = api.invocations;
});

afterAll(async () => {
  await api.stop();
});

const client = (who: LocalIdentity, region = REGION) => registryClientAs(url.url, who, region);

describe('a local function URL with AuthType AWS_IAM', () => {
  it('runs the API as the principal whose key signed the request, and each sees only their own waits', async () => {
    const started = await client(ALICE).call({
      method: 'POST',
      path: '/waits',
      body: { name: 'nightly load', waiter: 'waiter', input: { jobId: 'job-1' } },
    });
    expect(started.status).toBe(201);
    const waitId = (started.body as { wait: { waitId: string } }).wait.waitId;
    expect((invocations.at(-1)?.requestContext as { authorizer?: unknown } | undefined)?.authorizer).toEqual({
      iam: expect.objectContaining({
        userId: ALICE.userId,
        userArn: ALICE.userArn,
        accountId: ALICE.accountId,
      }),
    });

    const mine = await client(ALICE).call({ method: 'GET', path: '/waits', query: { limit: '10' } });
    expect((mine.body as { waits: { waitId: string }[] }).waits.map((wait) => wait.waitId)).toEqual([waitId]);
    const bobs = await client(BOB).call({ method: 'GET', path: '/waits' });
    expect(bobs).toMatchObject({ status: 200, body: { waits: [] } });
    expect(await client(BOB).call({ method: 'GET', path: `/waits/${waitId}` })).toMatchObject({
      status: 404,
      body: { error: 'NoSuchWait' },
    });
  });

  it('refuses, before the function runs, what Lambda refuses: unsigned, unknown keys, wrong scope, tampered, stale', async () => {
    const before = invocations.length;
    const forbidden = { status: 403, body: { Message: 'Forbidden' } };
    const unsigned = await fetch(`${url.url}waits`);
    expect({ status: unsigned.status, body: await unsigned.json() }).toEqual(forbidden);
    const stranger = { ...ALICE, accessKeyId: 'AKIALOCALNOBODY00001' };
    expect(await client(stranger).call({ method: 'GET', path: '/waits' })).toEqual(forbidden);
    expect(await client(ALICE, 'eu-west-1').call({ method: 'GET', path: '/waits' })).toEqual(forbidden);
    const wrongSecret = { ...ALICE, secretAccessKey: 'guessed' };
    expect(await client(wrongSecret).call({ method: 'GET', path: '/waits' })).toEqual(forbidden);

    // Signed for one body (or one time), sent with another.
    const target = new URL('waits', url.url);
    const sign = (body: string, signingDate = new Date()) =>
      new SignatureV4({
        credentials: { accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey },
        region: REGION,
        service: 'lambda',
        sha256: Hash.bind(null, 'sha256'),
      }).sign(
        {
          method: 'POST',
          protocol: 'http:',
          hostname: target.hostname,
          port: Number(target.port),
          path: target.pathname,
          query: {},
          headers: { host: target.host, 'content-type': 'application/json' },
          body,
        },
        { signingDate },
      );
    const send = async (headers: Record<string, string>, body: string) => {
      const { host: _host, ...rest } = headers;
      const response = await fetch(target, { method: 'POST', headers: rest, body });
      return { status: response.status, body: await response.json() };
    };
    const honest = JSON.stringify({ name: 'ok', waiter: 'waiter', input: { jobId: 'job-2' } });
    const forged = JSON.stringify({ name: 'ok', waiter: 'waiter', input: { jobId: 'someone-elses-job' } });
    expect(await send((await sign(honest)).headers, forged)).toEqual(forbidden);
    const stale = await sign(honest, new Date(Date.now() - 6 * 60_000));
    expect(await send(stale.headers, honest)).toEqual(forbidden);
    expect(invocations.length).toBe(before);
    // The same request signed now and sent as signed goes through.
    expect((await send((await sign(honest)).headers, honest)).status).toBe(201);
  });

  it('checks exactly what was signed: path, query and method count, the payload hash header need not be signed', async () => {
    const signer = new SignatureV4({
      credentials: { accessKeyId: BOB.accessKeyId, secretAccessKey: BOB.secretAccessKey },
      region: REGION,
      service: 'lambda',
      sha256: Hash.bind(null, 'sha256'),
      // As curl --aws-sigv4 and botocore sign: no x-amz-content-sha256 header.
      applyChecksum: false,
    });
    const target = new URL(url.url);
    const signed = (method: string, path: string, query: Record<string, string>, signingDate = new Date()) =>
      signer.sign(
        {
          method,
          protocol: 'http:',
          hostname: target.hostname,
          port: Number(target.port),
          path,
          query,
          headers: { host: target.host, 'user-agent': 'curl/8' },
        },
        { signingDate, signableHeaders: new Set(['host', 'user-agent']) },
      );
    const send = async (method: string, path: string, headers: Record<string, string>) => {
      const { host: _host, ...rest } = headers;
      const response = await fetch(new URL(path, url.url), { method, headers: rest });
      return { status: response.status, refusal: response.headers.get('x-stepwait-local-refusal') };
    };
    const listed = await signed('GET', '/waits', { limit: '5' });
    expect(listed.headers['x-amz-content-sha256']).toBeUndefined();
    expect((await send('GET', '/waits?limit=5', listed.headers)).status).toBe(200);
    expect(await send('GET', '/waits?limit=6', listed.headers)).toMatchObject({ status: 403 });
    expect(
      await send('GET', '/waits/c0000000-0000-4000-8000-000000000001?limit=5', listed.headers),
    ).toMatchObject({
      status: 403,
      refusal: 'the signature does not match the request',
    });
    expect(await send('DELETE', '/waits?limit=5', listed.headers)).toMatchObject({ status: 403 });
    const future = await signed('GET', '/waits', {}, new Date(Date.now() + 6 * 60_000));
    expect(await send('GET', '/waits', future.headers)).toMatchObject({
      status: 403,
      refusal: 'signature expired',
    });
  });
});
