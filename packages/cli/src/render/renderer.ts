import type { RunEvent, RunSummary } from '@tributary/runner';

/** Shows a run's progress as it happens, then its summary. Local and remote runs share it. */
export interface RunRenderer {
  event(event: RunEvent): void;
  summary(summary: RunSummary): void;
}
