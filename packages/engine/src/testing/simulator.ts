import { applyEvent } from '../apply-event.js';
import type { Plan } from '../plan.js';
import { createRunSnapshot } from '../snapshot.js';
import type { Command, EngineEvent, FailureReason, RunSnapshot, Transition } from '../types.js';

/** How the simulated workers, timers and network behave. Every probability is per delivered event. */
export interface SimulationOptions {
  /** Seeds every random choice: the same seed and plan give the same events. */
  seed: number;
  /** Chance that an attempt succeeds. @default 0.7 */
  successRate?: number;
  /** Chance that a worker reports `task_started` before its result. @default 0.8 */
  startRate?: number;
  /** Chance of delivering `run_cancelled` instead of the next event. @default 0 */
  cancelRate?: number;
  /** Chance of injecting a duplicate of a past event or a result for a wrong attempt. @default 0 */
  noiseRate?: number;
}

/** Everything a simulation delivered and got back, for the invariant checks. */
export interface SimulationResult {
  run: RunSnapshot;
  /** Every event delivered, in order, noise included. */
  events: EngineEvent[];
  /** The engine's answer to each event, index for index. */
  transitions: Transition[];
  /** Indexes (into `events`) of the injected duplicates and stale reports. */
  noise: number[];
}

/** Something delivered later: a worker running an attempt, or a durable retry timer. */
type Outstanding =
  | { kind: 'worker'; taskId: string; attempt: number; started: boolean }
  | { kind: 'timer'; taskId: string; attempt: number; at: number };

const REASONS: readonly FailureReason[] = ['error', 'timed_out', 'lost'];

/** mulberry32: a tiny seeded generator, so a failing property run replays exactly. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Drives one run to its end the way the runner and coordinator do: starts it, carries out every command
 * (a dispatch becomes a worker that later reports, a scheduled retry a timer that later fires) and delivers
 * the outstanding reports in random order, until nothing is left. Reports for cancelled attempts are still
 * delivered, as a real worker's late result would be.
 */
export function simulate(plan: Plan, options: SimulationOptions): SimulationResult {
  const random = createRandom(options.seed);
  const chance = (p: number | undefined, fallback: number) => random() < (p ?? fallback);
  const result: SimulationResult = { run: createRunSnapshot(plan), events: [], transitions: [], noise: [] };
  const outstanding: Outstanding[] = [];
  const applied: EngineEvent[] = [];
  let now = 1_000_000;
  const deliver = (event: EngineEvent) => {
    const transition = applyEvent(plan, result.run, event);
    result.events.push(event);
    result.transitions.push(transition);
    if (transition.applied) applied.push(event);
    for (const command of transition.commands) carryOut(command, outstanding);
  };
  deliver({ type: 'run_started', at: now });
  while (outstanding.length > 0) {
    now += 1 + Math.floor(random() * 50);
    if (chance(options.cancelRate, 0)) {
      deliver({ type: 'run_cancelled', reason: 'simulated', at: now });
    } else if (chance(options.noiseRate, 0)) {
      result.noise.push(result.events.length);
      deliver(noise(plan, result.run, applied, random, now));
    } else {
      const picked = Math.floor(random() * outstanding.length);
      const item = outstanding[picked]!;
      // Swap-remove keeps picking O(1) for 20,000 outstanding items.
      outstanding[picked] = outstanding[outstanding.length - 1]!;
      outstanding.pop();
      if (item.kind === 'timer') {
        now = Math.max(now, item.at);
        deliver({ type: 'retry_due', taskId: item.taskId, attempt: item.attempt, at: now });
      } else if (!item.started && chance(options.startRate, 0.8)) {
        outstanding.push({ ...item, started: true });
        deliver({ type: 'task_started', taskId: item.taskId, attempt: item.attempt, at: now });
      } else {
        deliver(outcome(item, chance(options.successRate, 0.7), random, now));
      }
    }
  }
  return result;
}

function carryOut(command: Command, outstanding: Outstanding[]): void {
  if (command.type === 'dispatch') {
    outstanding.push({ kind: 'worker', taskId: command.taskId, attempt: command.attempt, started: false });
  } else if (command.type === 'schedule_retry') {
    outstanding.push({ kind: 'timer', taskId: command.taskId, attempt: command.attempt, at: command.at });
  }
  // cancel_attempt leaves the worker in place on purpose: its late result must be ignored.
}

function outcome(
  item: { taskId: string; attempt: number },
  success: boolean,
  random: () => number,
  at: number,
): EngineEvent {
  const { taskId, attempt } = item;
  if (success) return { type: 'task_succeeded', taskId, attempt, output: { taskId, attempt }, at };
  const reason = REASONS[Math.floor(random() * REASONS.length)]!;
  const error = {
    message: `attempt ${attempt} of ${taskId}: ${reason}`,
    type: 'SimulatedError',
    retryable: true,
  };
  return { type: 'task_failed', taskId, attempt, reason, error, at };
}

/**
 * A duplicate of an event that applied, or a report for an attempt other than the current one: an older
 * one (0 is the attempt of a task never dispatched) or one not dispatched yet. None may ever apply.
 */
function noise(
  plan: Plan,
  run: RunSnapshot,
  applied: readonly EngineEvent[],
  random: () => number,
  at: number,
): EngineEvent {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  if (random() < 0.4) return { ...pick(applied), at };
  const taskId = pick(plan.order);
  const current = run.tasks[taskId]!.attempt;
  const older = random() < 0.6;
  const attempt = older ? Math.floor(random() * current) : current + 1;
  const kind = random();
  if (kind < 0.25) return { type: 'task_started', taskId, attempt, at };
  // The next attempt's timer is legitimate (only early), so a timer from the future skips one attempt.
  if (kind < 0.5) return { type: 'retry_due', taskId, attempt: older ? attempt : attempt + 1, at };
  return outcome({ taskId, attempt }, random() < 0.5, random, at);
}
