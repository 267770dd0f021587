import { describe, expect, it } from 'vitest';
import { livePools, noLiveWorkerText } from './waiting.js';

const NOW = Date.UTC(2025, 0, 1, 12);
const TIMEOUT = 15_000;

const worker = (pools: string[], ageMs: number, stopping = false) => ({
  pools,
  stopping,
  lastHeartbeatAt: new Date(NOW - ageMs),
});

describe('live pools', () => {
  it('are the pools of workers heartbeating within the timeout and not stopping', () => {
    const pools = livePools(
      [
        worker(['default', 'etl'], 1_000),
        worker(['gpu'], TIMEOUT + 1),
        worker(['arm'], 0, true),
        worker(['etl', 'io'], TIMEOUT),
      ],
      NOW,
      TIMEOUT,
    );
    expect([...pools].sort()).toEqual(['default', 'etl', 'io']);
  });

  it('are none without workers', () => {
    expect(livePools([], NOW, TIMEOUT).size).toBe(0);
  });
});

describe('the no-live-worker text', () => {
  it('names the pool and how long the attempt has waited, in whole seconds under a minute', () => {
    expect(noLiveWorkerText('gpu', 42_900)).toBe('queued: no live worker in pool gpu (waited 42s)');
    expect(noLiveWorkerText('gpu', 0)).toBe('queued: no live worker in pool gpu (waited 0s)');
  });

  it('counts minutes and hours for longer waits, and never a negative wait (clock skew)', () => {
    expect(noLiveWorkerText('etl', 125_000)).toBe('queued: no live worker in pool etl (waited 2m05s)');
    expect(noLiveWorkerText('etl', 3_780_000)).toBe('queued: no live worker in pool etl (waited 1h03m)');
    expect(noLiveWorkerText('etl', -500)).toBe('queued: no live worker in pool etl (waited 0s)');
  });
});
