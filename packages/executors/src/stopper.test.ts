import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAttemptStopper, type StopReason, stopResult } from './stopper.js';

afterEach(() => {
  vi.useRealTimers();
});

function track(options: { signal?: AbortSignal; timeoutMs?: number | null } = {}) {
  const events: string[] = [];
  const stopper = createAttemptStopper({
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? null,
    killGraceMs: 50,
    onStop: (reason: StopReason) => events.push(`stop:${reason}`),
    onKill: () => events.push('kill'),
  });
  return { stopper, events };
}

describe('createAttemptStopper', () => {
  it('asks to stop when the clock runs out, then kills after the grace period', () => {
    vi.useFakeTimers();
    const { stopper, events } = track({ timeoutMs: 100 });
    stopper.startClock();
    vi.advanceTimersByTime(99);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['stop:timeout']);
    vi.advanceTimersByTime(50);
    expect(events).toEqual(['stop:timeout', 'kill']);
    expect(stopper.reason).toBe('timeout');
  });

  it('does not run the clock before startClock', () => {
    vi.useFakeTimers();
    const { events } = track({ timeoutMs: 10 });
    vi.advanceTimersByTime(1000);
    expect(events).toEqual([]);
  });

  it('stops on the caller signal, and the first reason wins', () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const { stopper, events } = track({ signal: controller.signal, timeoutMs: 100 });
    stopper.startClock();
    controller.abort();
    vi.advanceTimersByTime(100);
    expect(stopper.reason).toBe('cancel');
    expect(events).toEqual(['stop:cancel', 'kill']);
  });

  it('kills at once on kill(), recording the close', () => {
    const { stopper, events } = track();
    stopper.kill();
    expect(events).toEqual(['stop:close', 'kill']);
    expect(stopper.reason).toBe('close');
  });

  it('does nothing more once disposed', () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const { stopper, events } = track({ signal: controller.signal, timeoutMs: 10 });
    stopper.startClock();
    stopper.dispose();
    controller.abort();
    vi.advanceTimersByTime(100);
    expect(events).toEqual([]);
  });
});

describe('stopResult', () => {
  it('names the timeout for a timed out attempt', () => {
    expect(stopResult('timeout', 'load', 90_000)).toEqual({
      outcome: 'timed_out',
      error: {
        type: 'TimeoutError',
        message: "task 'load' timed out after 1m30s (timeout 90000 ms)",
        retryable: true,
        details: { timeoutMs: 90_000 },
      },
    });
  });

  it('marks a caller cancel as final and a closed executor as retryable', () => {
    expect(stopResult('cancel', 'load', null)).toMatchObject({
      outcome: 'cancelled',
      error: { retryable: false },
    });
    expect(stopResult('close', 'load', null).error.message).toBe(
      "task 'load' was cancelled: the executor was closed",
    );
    expect(stopResult('close', 'load', null).error.retryable).toBe(true);
  });
});
