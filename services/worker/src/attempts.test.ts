import { Code } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { AttemptRegistry, CANCEL_MEMORY_MS, cancelMatches } from './attempts.js';

const key = { runId: 'r1', taskId: 'extract', attempt: 2 };

describe('cancelMatches', () => {
  it.each([
    [{ runId: 'r1', taskId: '', attempt: 0 }, true],
    [{ runId: 'r1', taskId: 'extract', attempt: 0 }, true],
    [{ runId: 'r1', taskId: 'extract', attempt: 2 }, true],
    [{ runId: 'r1', taskId: 'extract', attempt: 1 }, false],
    [{ runId: 'r1', taskId: 'load', attempt: 0 }, false],
    [{ runId: 'r2', taskId: '', attempt: 0 }, false],
  ])('matches %j: %s', (pattern, expected) => {
    expect(cancelMatches({ ...pattern, reason: '' }, key)).toBe(expected);
  });
});

describe('AttemptRegistry', () => {
  it('aborts matching running attempts with a Cancelled reason', () => {
    const registry = new AttemptRegistry();
    const extract = registry.start(key, 'default');
    const other = registry.start({ runId: 'r2', taskId: 'x', attempt: 1 }, 'default');
    expect(registry.cancel({ runId: 'r1', taskId: '', attempt: 0, reason: 'user' })).toBe(1);
    expect(extract.signal.aborted).toBe(true);
    expect(extract.signal.reason).toMatchObject({ code: Code.Cancelled, message: 'cancelled: user' });
    expect(other.signal.aborted).toBe(false);
  });

  it('remembers a notice for attempts delivered later, for a while', () => {
    let now = 1_000;
    const registry = new AttemptRegistry(() => now);
    registry.cancel({ runId: 'r1', taskId: '', attempt: 0, reason: 'user' });
    expect(registry.cancelledBy(key)?.reason).toBe('user');
    expect(registry.cancelledBy({ ...key, runId: 'r2' })).toBeUndefined();
    now += CANCEL_MEMORY_MS + 1;
    expect(registry.cancelledBy(key)).toBeUndefined();
  });

  it('counts running attempts per pool and forgets finished ones', () => {
    const registry = new AttemptRegistry();
    const a = registry.start(key, 'a');
    registry.start({ ...key, taskId: 'y' }, 'b');
    expect(registry.size).toBe(2);
    expect(registry.countIn('a')).toBe(1);
    a.finish();
    expect(registry.size).toBe(1);
    expect(registry.countIn('a')).toBe(0);
    expect(registry.list()).toEqual([{ ...key, taskId: 'y' }]);
  });
});
