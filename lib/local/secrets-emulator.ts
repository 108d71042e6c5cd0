import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { closeServer, listenOnLoopback, loopbackOrigin } from './loopback-server';
import { LOCAL_CLIENT_SETTINGS } from './template';

/**
 * AWS Secrets Manager's GetSecretValue on 127.0.0.1, over its real protocol (JSON 1.1: POST / with
 * `X-Amz-Target: secretsmanager.GetSecretValue`), so the poller's own SDK client reads a job system's
 * credentials in local runs. Secrets are looked up by ARN or name; an unknown one is a
 * ResourceNotFoundException (HTTP 400), as Secrets Manager answers.
 */
export class SecretsEmulator {
  private readonly secrets = new Map<string, string>();
  private readonly server: Server;
  /** GetSecretValue calls, by SecretId. */
  readonly reads: string[] = [];

  private constructor() {
    this.server = createServer((request, response) => this.handle(request, response));
  }

  static async start(): Promise<SecretsEmulator> {
    const emulator = new SecretsEmulator();
    await listenOnLoopback(emulator.server);
    return emulator;
  }

  get endpoint(): string {
    return loopbackOrigin(this.server, 'the Secrets Manager emulator');
  }

  /** A client for the poller: static region, dummy credentials, this endpoint, no retries of its own. */
  client(): SecretsManagerClient {
    return new SecretsManagerClient({
      ...LOCAL_CLIENT_SETTINGS,
      endpoint: this.endpoint,
      maxAttempts: 1,
    });
  }

  /** Stores (or rotates) a secret's value under its ARN. */
  put(secretArn: string, value: string): void {
    this.secrets.set(secretArn, value);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        reply(400, { __type: 'UnknownOperationException', message: 'only GetSecretValue is emulated' });
        return;
      }
      let secretId: unknown;
      try {
        secretId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId;
      } catch {
        reply(400, { __type: 'SerializationException', message: 'the body is not JSON' });
        return;
      }
      this.reads.push(String(secretId));
      const arn = [...this.secrets.keys()].find(
        (key) => key === secretId || key.split(':secret:')[1]?.startsWith(`${secretId}-`),
      );
      if (arn === undefined) {
        reply(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      reply(200, {
        ARN: arn,
        Name: arn.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, ''),
        SecretString: this.secrets.get(arn),
        VersionId: '00000000-0000-4000-8000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_767_225_600,
      });
    });
  }
}
