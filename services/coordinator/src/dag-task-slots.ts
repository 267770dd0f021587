import type { TaskSlots } from '@tributary/engine';
import type { LoadedVersion } from './active-runs.js';

/**
 * A DAG's `max_active_tasks` across all its runs (Airflow's meaning), for one tick. The tick starts from
 * the count in Postgres of each limited DAG's task instances that are out; the engine takes a slot for
 * every attempt it dispatches, and the transitions give slots back as attempts end. The run loop is the
 * only writer of task states, so the count stays exact through the tick. A run whose dispatch found no
 * slot keeps the attempt in its ready queue until a `slots_freed` event reaches it.
 */
export class DagTaskSlots {
  readonly #active: Map<string, number>;
  readonly #freed = new Set<string>();

  /** `active`: for each DAG with a limit this tick may touch, its task instances out now. */
  constructor(active: Map<string, number>) {
    this.#active = active;
  }

  /** The slots of a run's DAG for the engine; undefined when the DAG has no limit across runs. */
  forVersion(version: LoadedVersion): TaskSlots | undefined {
    const limit = version.model.maxActiveTasks;
    if (limit == null) return undefined;
    const dag = version.dag;
    return {
      take: () => {
        const count = this.#active.get(dag) ?? 0;
        if (count >= limit) return false;
        this.#active.set(dag, count + 1);
        return true;
      },
    };
  }

  /** An attempt of a run of `version` stopped being out (it ended, or waits for a retry). */
  release(version: LoadedVersion): void {
    if (version.model.maxActiveTasks == null) return;
    const count = this.#active.get(version.dag) ?? 0;
    this.#active.set(version.dag, Math.max(0, count - 1));
    this.#freed.add(version.dag);
  }

  /** The limited DAGs that got slots back in this tick: their waiting runs may go on. */
  freedDags(): string[] {
    return [...this.#freed];
  }
}
