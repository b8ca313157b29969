/**
 * Why a BullMQ job run by `greenletProcessor` failed when it was stopped from outside:
 * `worker.cancelJob(id, reason)`, `worker.cancelAllJobs(reason)`, the worker closed with
 * `close(true)` while the job ran, or its greenlet killed. `reason` is what the canceller gave
 * (BullMQ's signal reason); the message names the job, the queue and the reason.
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { greenletProcessor, JobCancelled } from 'nodevent/bullmq';
 * const worker = new Worker('dishes', greenletProcessor(async (job) => job.data), {
 *   connection: { host: '127.0.0.1', port: 6379 },
 * });
 * worker.on('failed', (job, error) => {
 *   if (error instanceof JobCancelled) console.log(`job ${job?.id} cancelled: ${String(error.reason)}`);
 * });
 * ```
 */
export class JobCancelled extends Error {
  /** The reason the job was cancelled with, as given (often a string). */
  readonly reason: unknown;

  constructor(jobId: string | undefined, queueName: string, reason: unknown) {
    super(`job ${jobId ?? '(no id)'} of queue "${queueName}" was cancelled: ${describeReason(reason)}`);
    this.name = 'JobCancelled';
    this.reason = reason;
  }
}

function describeReason(reason: unknown): string {
  if (reason === undefined) return 'no reason given';
  if (reason instanceof Error) return reason.message === '' ? reason.name : `${reason.name}: ${reason.message}`;
  return String(reason);
}
