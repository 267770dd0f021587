export type { Clock } from './clock.js';
export { type CoordinatorDeps, type RunningCoordinator, startCoordinator } from './coordinator.js';
export { type CoordinatorFlags, coordinatorOptionsFromEnv, runCoordinatorMain } from './main.js';
export {
  type CoordinatorOptions,
  compileCoordinatorOptions,
  DEFAULT_COORDINATOR_OPTIONS,
} from './options.js';
