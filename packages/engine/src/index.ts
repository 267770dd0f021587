export { applyEvent, applyEvents } from './apply-event.js';
export { createPlan, type Plan } from './plan.js';
export { rebuildIndexes } from './run-index.js';
export { createRunSnapshot } from './snapshot.js';
export * from './types.js';
