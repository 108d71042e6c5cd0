/**
 * The ARNs Batch reports and accepts (Batch API reference, SubmitJob.jobQueue and .jobDefinition: a name
 * or an ARN): `arn:aws:batch:<region>:<account>:job/<id>`, `...:job-queue/<name>` and
 * `...:job-definition/<name>:<revision>`.
 */
export class BatchArns {
  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  job(jobId: string): string {
    return `${this.prefix()}job/${jobId}`;
  }

  jobQueue(name: string): string {
    return `${this.prefix()}job-queue/${name}`;
  }

  jobDefinition(name: string, revision: number): string {
    return `${this.prefix()}job-definition/${name}:${revision}`;
  }

  /**
   * What follows `job-queue/` or `job-definition/` in an ARN of this region and account, or undefined for
   * an ARN of another kind, region or account (which names nothing here). Text that is no ARN is returned
   * as it is: a plain name.
   */
  resourcePath(nameOrArn: string, kind: 'job-queue' | 'job-definition'): string | undefined {
    if (!nameOrArn.startsWith('arn:')) return nameOrArn;
    const prefix = `${this.prefix()}${kind}/`;
    return nameOrArn.startsWith(prefix) ? nameOrArn.slice(prefix.length) : undefined;
  }

  private prefix(): string {
    return `arn:aws:batch:${this.region}:${this.accountId}:`;
  }
}
