import { create } from '@bufbuild/protobuf';
import type { JsonObject } from '@tributary/core';
import { RunSchema, RunState, RunType, TaskState, timestamp } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { runToJson } from '../render/run-view.js';
import { formatRunStatus } from './status.js';

const run = (context?: JsonObject) =>
  create(RunSchema, {
    id: 'run-1',
    dag: 'context_dag',
    dagVersion: 1,
    state: RunState.SUCCEEDED,
    tasks: [{ taskId: 'count', state: TaskState.SUCCEEDED, attempt: 1 }],
    ...(context === undefined ? {} : { context }),
  });

describe('tributary status', () => {
  it('names the parent run and task of a run a dag task triggered, and no parent otherwise', () => {
    const child = create(RunSchema, { ...run(), parentRunId: 'run-0', parentTaskId: 'trigger_child' });
    const lines = formatRunStatus(child, 0).split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'run      run-1',
      'dag      context_dag (version 1)',
      'parent   run-0/trigger_child',
    ]);
    expect(runToJson(child).parent).toEqual({ run_id: 'run-0', task_id: 'trigger_child' });
    expect(formatRunStatus(run(), 0)).not.toContain('parent');
    expect(runToJson(run()).parent).toBeNull();
  });

  it('prints the run context under the tasks, one key a line, values as compact JSON', () => {
    const text = formatRunStatus(run({ rows: 42, source: { table: 'events' }, long: 'x'.repeat(100) }), 0);
    const lines = text.split('\n');
    const at = lines.findIndex((line) => line.startsWith('CONTEXT KEY'));
    expect(at).toBeGreaterThan(lines.findIndex((line) => line.startsWith('count')));
    expect(lines[at + 1]).toMatch(/^rows\s+42$/);
    expect(lines[at + 2]).toMatch(/^source\s+\{"table":"events"\}$/);
    // Long values are cut to 80 characters in the table.
    expect(lines[at + 3]).toMatch(new RegExp(`^long\\s+"${'x'.repeat(78)}…$`));
  });

  it('prints no context section when the run set no keys', () => {
    expect(formatRunStatus(run({}), 0)).not.toContain('CONTEXT');
    expect(formatRunStatus(run(), 0)).not.toContain('CONTEXT');
  });

  it('shows why a queued task is not starting in place of its state, and in --json', () => {
    const waiting = 'queued: no live worker in pool gpu (waited 42s)';
    const stuck = create(RunSchema, {
      id: 'run-2',
      dag: 'gpu_dag',
      state: RunState.RUNNING,
      tasks: [
        { taskId: 'train', state: TaskState.QUEUED, attempt: 1, pool: 'gpu', waiting },
        { taskId: 'prep', state: TaskState.QUEUED, attempt: 1, pool: 'default' },
      ],
    });
    const lines = formatRunStatus(stuck, 0).split('\n');
    expect(lines.find((line) => line.startsWith('train'))).toMatch(
      /^train\s+queued: no live worker in pool gpu \(waited 42s\)\s+1\s/,
    );
    expect(lines.find((line) => line.startsWith('prep'))).toMatch(/^prep\s+queued\s+1\s/);
    const tasks = runToJson(stuck).tasks as JsonObject[];
    expect(tasks[0]?.waiting).toBe(waiting);
    expect(tasks[1]).not.toHaveProperty('waiting');
  });

  it('puts the whole context in --json when the server sent one', () => {
    expect(runToJson(run({ rows: 42 })).context).toEqual({ rows: 42 });
    expect(runToJson(run())).not.toHaveProperty('context');
  });

  it('shows a backfill run with its type, logical date and data interval, in the header and --json', () => {
    const day = Date.UTC(2024, 0, 1);
    const backfill = create(RunSchema, {
      ...run(),
      runType: RunType.BACKFILL,
      logicalDate: timestamp(day),
      dataIntervalStart: timestamp(day),
      dataIntervalEnd: timestamp(day + 86_400_000),
    });
    const lines = formatRunStatus(backfill, 0).split('\n');
    const state = lines.indexOf('state    succeeded');
    expect(lines.slice(state + 1, state + 4)).toEqual([
      'type     backfill',
      'logical  2024-01-01T00:00:00Z',
      'interval 2024-01-01T00:00:00Z to 2024-01-02T00:00:00Z',
    ]);
    expect(runToJson(backfill)).toMatchObject({
      run_type: 'backfill',
      logical_date: '2024-01-01T00:00:00.000Z',
      data_interval_start: '2024-01-01T00:00:00.000Z',
      data_interval_end: '2024-01-02T00:00:00.000Z',
    });
  });

  it('shows only the type of a run no schedule started, and nothing when the server gives no type', () => {
    const manual = create(RunSchema, { ...run(), runType: RunType.MANUAL, logicalDate: timestamp(5) });
    const text = formatRunStatus(manual, 0);
    expect(text).toContain('state    succeeded\ntype     manual\ncreated');
    expect(text).not.toContain('logical');
    expect(formatRunStatus(create(RunSchema, { ...run(), runType: RunType.EVENT }), 0)).toContain(
      'type     event\n',
    );
    expect(formatRunStatus(run(), 0)).not.toContain('type');
    expect(runToJson(run())).toMatchObject({ run_type: null, logical_date: null });
  });
});
