/**
 * The submission's process misbehaved: it ran out of time or memory, died, or broke the protocol. This is the
 * submission's failure (a `failed` verdict), never the grader's.
 */
export class SubmissionFault extends Error {
  readonly reason: 'timeout' | 'exited' | 'protocol';
  constructor(reason: 'timeout' | 'exited' | 'protocol', message: string) {
    super(message);
    this.name = 'SubmissionFault';
    this.reason = reason;
  }
}
