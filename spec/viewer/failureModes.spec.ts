import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureModes } from '../../src/viewer/failureModes.ts';

const attempt = (n: number, status: 'passed' | 'failed' | 'error', check: string | null, like: string | null) => ({
  attempt: n,
  status,
  feedback: `feedback ${n}`,
  firstFailingCheck: check === null ? null : { id: check, message: `${check} failed in ${n}` },
  behavesLike: like === null ? null : { name: like, basis: 'same-source' as const },
});

describe('failureModes', () => {
  it('groups failed attempts by first failing check, largest first, counting the decoys they behave like', () => {
    const modes = failureModes([
      attempt(1, 'passed', null, null),
      attempt(2, 'failed', 'exact', 'bug'),
      attempt(3, 'failed', 'protected', null),
      attempt(4, 'failed', 'exact', 'bug'),
      attempt(5, 'failed', 'exact', null),
      attempt(6, 'error', null, null),
      attempt(7, 'failed', null, null),
    ]);
    assert.deepEqual(modes, [
      { check: 'exact', attempts: [2, 4, 5], behavesLike: [{ name: 'bug (same-source)', count: 2 }, { name: 'no known decoy', count: 1 }], message: 'exact failed in 2' },
      { check: 'protected', attempts: [3], behavesLike: [{ name: 'no known decoy', count: 1 }], message: 'protected failed in 3' },
      { check: '(no failing check reported)', attempts: [7], behavesLike: [{ name: 'no known decoy', count: 1 }], message: 'feedback 7' },
    ]);
  });
});
