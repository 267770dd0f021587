import { describe, expect, it } from 'vitest';
import { applyEvent } from './apply-event.js';
import { dagOf, task } from './testing/dags.js';
import { events, startRun } from './testing/events.js';
import type { EngineEvent, PlanTask } from './types.js';

const NOTHING = { applied: false, commands: [], changes: [] };

/** A task pinned to pool `gpu` whose attempts may wait 5 minutes for a worker. */
const gpuTask = (id: string, needs: readonly string[] = [], extra: Partial<PlanTask> = {}): PlanTask => ({
  ...task(id, needs),
  pool: 'gpu',
  queueTimeoutMs: 300_000,
  ...extra,
});

const queueTimedOut = (taskId: string, attempt = 1, at = 300_000): EngineEvent => ({
  type: 'queue_timed_out',
  taskId,
  attempt,
  at,
});

describe('schedule_queue_timeout', () => {
  it('goes out with the dispatch of a task that has a queue timeout, due that long after it', () => {
    const { started } = startRun(dagOf(gpuTask('train'), task('plain')));
    expect(started.commands).toEqual([
      { type: 'dispatch', taskId: 'train', attempt: 1 },
      { type: 'schedule_queue_timeout', taskId: 'train', attempt: 1, at: 300_000 },
      { type: 'dispatch', taskId: 'plain', attempt: 1 },
    ]);
  });

  it('goes out again for a retry, for the new attempt and from the retry time', () => {
    const { plan, run } = startRun(dagOf(gpuTask('train', [], { retries: 1 })));
    applyEvent(plan, run, events.started('train'));
    applyEvent(plan, run, events.failed('train'));
    const retried = applyEvent(plan, run, events.retryDue('train', 2, 5_000));
    expect(retried.commands).toContainEqual({
      type: 'schedule_queue_timeout',
      taskId: 'train',
      attempt: 2,
      at: 305_000,
    });
  });
});

describe('queue_timed_out', () => {
  it('fails a still-queued attempt without a retry, cancels it and lets the downstream rules decide', () => {
    const { plan, run } = startRun(
      dagOf(gpuTask('train', [], { retries: 3 }), task('report', ['train']), {
        ...task('cleanup', ['train']),
        triggerRule: 'all_done',
      }),
    );
    const timedOut = applyEvent(plan, run, queueTimedOut('train'));
    expect(timedOut.applied).toBe(true);
    expect(timedOut.commands).toEqual([
      { type: 'cancel_attempt', taskId: 'train', attempt: 1 },
      { type: 'dispatch', taskId: 'cleanup', attempt: 1 },
    ]);
    expect(timedOut.changes).toEqual([
      { taskId: 'train', from: 'queued', to: 'failed', attempt: 1 },
      { taskId: 'report', from: 'pending', to: 'upstream_failed', attempt: 0 },
      { taskId: 'cleanup', from: 'pending', to: 'queued', attempt: 1 },
    ]);
    expect(run.tasks.train?.error).toEqual({
      type: 'QueueTimeout',
      message: "task 'train' waited 5m00s in queue for pool gpu without a worker starting it",
      retryable: false,
    });
  });

  it('fails the run when the timed-out task is a leaf', () => {
    const { plan, run } = startRun(dagOf(gpuTask('train', [], { retries: 2 })));
    const timedOut = applyEvent(plan, run, queueTimedOut('train'));
    expect(timedOut.commands).toContainEqual({ type: 'finish_run', state: 'failed' });
    expect(run.state).toBe('failed');
  });

  it('is stale once a worker started the attempt', () => {
    const { plan, run } = startRun(dagOf(gpuTask('train')));
    applyEvent(plan, run, events.started('train'));
    expect(applyEvent(plan, run, queueTimedOut('train'))).toEqual(NOTHING);
    expect(run.tasks.train?.state).toBe('running');
  });

  it('is stale for another attempt than the queued one, and applies only once', () => {
    const { plan, run } = startRun(dagOf(gpuTask('train', [], { retries: 1 })));
    applyEvent(plan, run, events.started('train'));
    applyEvent(plan, run, events.failed('train'));
    applyEvent(plan, run, events.retryDue('train', 2));
    // The first attempt's timer, firing while the retry waits in the queue, says nothing about it.
    expect(applyEvent(plan, run, queueTimedOut('train', 1))).toEqual(NOTHING);
    expect(run.tasks.train?.state).toBe('queued');
    expect(applyEvent(plan, run, queueTimedOut('train', 2)).applied).toBe(true);
    expect(applyEvent(plan, run, queueTimedOut('train', 2))).toEqual(NOTHING);
  });

  it('is stale after the run was cancelled', () => {
    const { plan, run } = startRun(dagOf(gpuTask('train')));
    applyEvent(plan, run, events.cancelled());
    expect(applyEvent(plan, run, queueTimedOut('train'))).toEqual(NOTHING);
    expect(run.tasks.train?.state).toBe('cancelled');
  });
});
