import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ExecutionsApiError, type LocalExecutions } from './local-executions';
import { closeServer, listenOnLoopback, loopbackOrigin, readBody } from './loopback-server';
import { type LocalTaskTokens, TaskTokenError } from './task-tokens';
import { LOCAL_CLIENT_SETTINGS } from './template';

/**
 * The Step Functions API on 127.0.0.1, in its own protocol (AWS JSON 1.0: `POST /`,
 * `X-Amz-Target: AWSStepFunctions.<Operation>`, errors as `{ "__type", "message" }` with HTTP 400), so
 * @aws-sdk/client-sfn runs unchanged against the local runtime: the task-token calls (the waker's and the
 * poller's), and for a local deployment its executions' calls (the registry API's).
 */
const TARGET_PREFIX = 'AWSStepFunctions.';
/** Step Functions' request size limit for these calls is far above this; a bigger body is refused here. */
const MAX_BODY_BYTES = 1_048_576;

export interface LocalStepFunctionsServices {
  /** Answers SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat. */
  readonly tokens?: LocalTaskTokens;
  /** Answers StartExecution, DescribeExecution, StopExecution and DescribeStateMachine. */
  readonly executions?: LocalExecutions;
  /**
   * Whether to answer this call with ThrottlingException (HTTP 400, Step Functions API Reference, "Common
   * Errors"), for the fault suite; nothing is done then.
   */
  readonly throttled?: () => boolean;
}

export class LocalStepFunctionsEndpoint {
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(services: LocalStepFunctionsServices): Promise<LocalStepFunctionsEndpoint> {
    const server = createServer((request, response) => {
      handle(services, request, response).catch((error: unknown) => {
        send(response, 500, { __type: 'InternalFailure', message: (error as Error).message });
      });
    });
    await listenOnLoopback(server);
    return new LocalStepFunctionsEndpoint(
      server,
      loopbackOrigin(server, 'the local Step Functions endpoint'),
    );
  }

  /** A client for it: static region, dummy credentials, and `maxAttempts` as the deployed code sets it. */
  client(maxAttempts = 1): SFNClient {
    return new SFNClient({ ...LOCAL_CLIENT_SETTINGS, endpoint: this.endpoint, maxAttempts });
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}

function send(response: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': `local-${Date.now()}`,
    ...(status >= 400 && '__type' in body ? { 'x-amzn-errortype': String(body.__type) } : {}),
  });
  response.end(text);
}

async function handle(
  services: LocalStepFunctionsServices,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const raw = await readBody(request, MAX_BODY_BYTES);
  if (raw === undefined) {
    send(response, 413, { __type: 'ValidationException', message: 'request too large' });
    return;
  }
  const target = String(request.headers['x-amz-target'] ?? '');
  if (request.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
    send(response, 400, { __type: 'UnknownOperationException', message: `unknown operation ${target}` });
    return;
  }
  if (services.throttled?.()) {
    send(response, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
    return;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8') || '{}');
  } catch {
    send(response, 400, { __type: 'SerializationException', message: 'body is not JSON' });
    return;
  }
  try {
    const answer = await operate(services, target.slice(TARGET_PREFIX.length), body);
    if (answer === undefined) {
      send(response, 400, {
        __type: 'UnknownOperationException',
        message: `the local Step Functions does not answer ${target}`,
      });
      return;
    }
    send(response, 200, answer);
  } catch (error) {
    if (!(error instanceof TaskTokenError) && !(error instanceof ExecutionsApiError)) throw error;
    send(response, 400, {
      __type: `com.amazonaws.swf.service.v2.model#${error.code}`,
      message: error.message,
    });
  }
}

/** The operation's answer, or undefined for one this endpoint does not serve. */
async function operate(
  { tokens, executions }: LocalStepFunctionsServices,
  operation: string,
  body: Record<string, unknown>,
): Promise<object | undefined> {
  if (tokens !== undefined) {
    switch (operation) {
      case 'SendTaskSuccess':
        tokens.sendTaskSuccess(body.taskToken, body.output);
        return {};
      case 'SendTaskFailure':
        tokens.sendTaskFailure(body.taskToken, body.error, body.cause);
        return {};
      case 'SendTaskHeartbeat':
        tokens.sendTaskHeartbeat(body.taskToken);
        return {};
    }
  }
  if (executions !== undefined) {
    switch (operation) {
      case 'StartExecution':
        return executions.startExecution(body);
      case 'DescribeExecution':
        return executions.describeExecution(body);
      case 'StopExecution':
        return executions.stopExecution(body);
      case 'DescribeStateMachine':
        return executions.describeStateMachine(body);
    }
  }
  return undefined;
}
