import { describe, expect, it } from 'vitest';
import { AttemptAbort } from './node-thread.js';

describe('a thread attempt abort', () => {
  it('gives a signal made after the abort that is already aborted with its reason', () => {
    const abort = new AttemptAbort();
    const reason = new DOMException('task t timed out', 'TimeoutError');
    abort.abort(reason);
    expect(abort.signal.aborted).toBe(true);
    expect(abort.signal.reason).toBe(reason);
  });

  it('aborts a signal made before the abort, and keeps the first reason of several', () => {
    const abort = new AttemptAbort();
    const { signal } = abort;
    expect(signal.aborted).toBe(false);
    const first = new DOMException('task t was cancelled', 'AbortError');
    abort.abort(first);
    abort.abort(new DOMException('task t timed out', 'TimeoutError'));
    expect(abort.signal).toBe(signal);
    expect(signal.reason).toBe(first);
  });

  it('throws the reason once aborted, whether or not the signal was made', () => {
    const unmade = new AttemptAbort();
    expect(() => unmade.throwIfAborted()).not.toThrow();
    const reason = new DOMException('task t was cancelled', 'AbortError');
    unmade.abort(reason);
    expect(() => unmade.throwIfAborted()).toThrow(reason);
    const made = new AttemptAbort();
    void made.signal;
    made.abort(reason);
    expect(() => made.throwIfAborted()).toThrow(reason);
  });
});
