import type { WorkerRow } from '@tributary/db';
import { millisFromTimestamp, WorkerState } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { workerState, workerViews } from './worker-view.js';

const NOW = Date.UTC(2025, 0, 1, 12);
const TIMEOUT = 15_000;

function row(id: string, ageMs: number, fields: Partial<WorkerRow> = {}): WorkerRow {
  return {
    id,
    host: `host-${id}`,
    pools: ['default'],
    concurrency: 4,
    version: '0.1.0',
    startedAt: new Date(NOW - 3_600_000),
    lastHeartbeatAt: new Date(NOW - ageMs),
    stopping: false,
    running: [],
    ...fields,
  };
}

describe('worker states', () => {
  it('is live while the last heartbeat is within the heartbeat timeout, unresponsive after', () => {
    expect(workerState(row('w', 0), NOW, TIMEOUT)).toBe('live');
    expect(workerState(row('w', TIMEOUT), NOW, TIMEOUT)).toBe('live');
    expect(workerState(row('w', TIMEOUT + 1), NOW, TIMEOUT)).toBe('unresponsive');
  });

  it('is stopped when the last heartbeat said so, however old it is', () => {
    expect(workerState(row('w', 0, { stopping: true }), NOW, TIMEOUT)).toBe('stopped');
    expect(workerState(row('w', 10 * TIMEOUT, { stopping: true }), NOW, TIMEOUT)).toBe('stopped');
  });
});

describe('worker views', () => {
  it('lists live workers first, then the others, each group by id', () => {
    const views = workerViews(
      [
        row('a-stopped', 0, { stopping: true }),
        row('b-gone', TIMEOUT * 2),
        row('c-live', 1_000),
        row('a-live', 2_000),
      ],
      NOW,
      TIMEOUT,
    );
    expect(views.map((w) => [w.id, w.state])).toEqual([
      ['a-live', WorkerState.LIVE],
      ['c-live', WorkerState.LIVE],
      ['a-stopped', WorkerState.STOPPED],
      ['b-gone', WorkerState.UNRESPONSIVE],
    ]);
  });

  it('carries pools, concurrency, running attempts and both times', () => {
    const runId = '6f1c2a4e-1b2c-4d5e-8f90-123456789abc';
    const [view] = workerViews(
      [
        row('w1', 500, {
          pools: ['default', 'gpu'],
          concurrency: 8,
          running: [{ runId, taskId: 'load', attempt: 2 }],
          startedAt: null,
        }),
      ],
      NOW,
      TIMEOUT,
    );
    expect(view).toMatchObject({
      host: 'host-w1',
      pools: ['default', 'gpu'],
      concurrency: 8,
      version: '0.1.0',
    });
    expect(view!.running.map(({ runId: r, taskId, attempt }) => ({ runId: r, taskId, attempt }))).toEqual([
      { runId, taskId: 'load', attempt: 2 },
    ]);
    expect(millisFromTimestamp(view!.lastHeartbeatAt)).toBe(NOW - 500);
    expect(view!.startedAt).toBeUndefined();
  });
});
