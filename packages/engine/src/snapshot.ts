import type { Plan } from './plan.js';
import type { RunSnapshot, TaskInstanceState } from './types.js';

/** A run before `run_started`: state `running`, every task `pending` with attempt 0. */
export function createRunSnapshot(plan: Plan): RunSnapshot {
  // fromEntries defines own properties, so even a task named `__proto__` gets an ordinary entry.
  const tasks = Object.fromEntries(
    plan.order.map((id): [string, TaskInstanceState] => [id, { state: 'pending', attempt: 0 }]),
  );
  return { state: 'running', tasks };
}
