import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { START_REPORT_DELAY_MS, StartReport } from './start-report.js';

describe('StartReport', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports nothing for an attempt that ends before the delay', async () => {
    const publish = vi.fn(async () => undefined);
    const report = new StartReport(publish);
    await vi.advanceTimersByTimeAsync(START_REPORT_DELAY_MS - 1);
    await report.settle();
    await vi.advanceTimersByTimeAsync(START_REPORT_DELAY_MS * 10);
    expect(publish).not.toHaveBeenCalled();
  });

  it('reports the start of a longer attempt, and settles only once the report is published', async () => {
    let confirm: () => void = () => undefined;
    const publish = vi.fn(() => new Promise<void>((resolve) => (confirm = resolve)));
    const report = new StartReport(publish);
    await vi.advanceTimersByTimeAsync(START_REPORT_DELAY_MS);
    expect(publish).toHaveBeenCalledTimes(1);
    let settled = false;
    const settling = report.settle().then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    confirm();
    await settling;
    expect(settled).toBe(true);
  });

  it('passes a failed report on to settle, not to the process as an unhandled rejection', async () => {
    const report = new StartReport(() => Promise.reject(new Error('NATS is away')), 5);
    await vi.advanceTimersByTimeAsync(5);
    await expect(report.settle()).rejects.toThrow('NATS is away');
  });
});
