export { type ApplyOptions, applyEvent, applyEvents } from './apply-event.js';
export { type ClearSelection, selectTasksToClear } from './clear.js';
export {
  inputsOf,
  type MapInstanceRef,
  mapInstanceIds,
  mapInstanceRef,
  mapItemOf,
  outputOf,
  type TaskInputsShape,
} from './map.js';
export { createPlan, type Plan } from './plan.js';
export { DEFAULT_MAX_RETRY_DELAY_MS, retryDelayMs } from './retry-delay.js';
export { rebuildIndexes } from './run-index.js';
export { createRunSnapshot } from './snapshot.js';
export { evaluateTriggerRule, type TriggerDecision, type UpstreamCounts } from './trigger-rules.js';
export * from './types.js';
