import { create } from '@bufbuild/protobuf';
import { timestamp, WorkerSchema, WorkerState } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { formatAgo, workerToJson } from '../render/worker-view.js';
import { formatWorkersTable } from './workers.js';

const NOW = Date.UTC(2025, 0, 1, 12);
const RUN_ID = '6f1c2a4e-1b2c-4d5e-8f90-123456789abc';

const busy = create(WorkerSchema, {
  id: 'w-busy',
  host: 'node-1',
  pools: ['default', 'gpu'],
  concurrency: 4,
  version: '0.3.0',
  startedAt: timestamp(NOW - 3_600_000),
  lastHeartbeatAt: timestamp(NOW - 3_400),
  state: WorkerState.LIVE,
  running: [{ runId: RUN_ID, taskId: 'extract', attempt: 2 }],
});

const gone = create(WorkerSchema, {
  id: 'w-gone',
  concurrency: 2,
  lastHeartbeatAt: timestamp(NOW - 5 * 60_000),
  state: WorkerState.UNRESPONSIVE,
});

describe('tributary workers', () => {
  it('prints one row per worker: state, pools, running of concurrency and the last heartbeat as an age', () => {
    const lines = formatWorkersTable([busy, gone], NOW).trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^WORKER\s+STATE\s+HOST\s+POOLS\s+RUNNING\s+VERSION\s+STARTED\s+LAST HEARTBEAT$/,
    );
    expect(lines[1]!.split(/\s{2,}/)).toEqual([
      'w-busy',
      'live',
      'node-1',
      'default,gpu',
      '1/4',
      '0.3.0',
      '2025-01-01T11:00:00.000Z',
      '3s ago',
    ]);
    expect(lines[2]!.split(/\s{2,}/)).toEqual([
      'w-gone',
      'unresponsive',
      '-',
      '-',
      '0/2',
      '-',
      '-',
      '5m ago',
    ]);
  });

  it('gives the running attempts, their count and ISO times in --json', () => {
    expect(workerToJson(busy)).toEqual({
      id: 'w-busy',
      state: 'live',
      host: 'node-1',
      pools: ['default', 'gpu'],
      concurrency: 4,
      running_count: 1,
      running: [{ run_id: RUN_ID, task_id: 'extract', attempt: 2 }],
      version: '0.3.0',
      started_at: '2025-01-01T11:00:00.000Z',
      last_heartbeat_at: '2025-01-01T11:59:56.600Z',
    });
    expect(workerToJson(gone)).toMatchObject({ state: 'unresponsive', started_at: null, running_count: 0 });
  });

  it('says how long ago in the largest whole unit', () => {
    expect(formatAgo(NOW - 999, NOW)).toBe('0s ago');
    expect(formatAgo(NOW - 59_999, NOW)).toBe('59s ago');
    expect(formatAgo(NOW - 60_000, NOW)).toBe('1m ago');
    expect(formatAgo(NOW - 2 * 3_600_000 - 1, NOW)).toBe('2h ago');
    expect(formatAgo(NOW - 3 * 86_400_000, NOW)).toBe('3d ago');
    // A heartbeat stamped by a coordinator whose clock is a little ahead is not in the future.
    expect(formatAgo(NOW + 500, NOW)).toBe('0s ago');
    expect(formatAgo(undefined, NOW)).toBe('-');
  });
});
