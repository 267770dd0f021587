export { runWorkerMain } from './main.js';
export {
  compileWorkerOptions,
  DEFAULT_WORKER_OPTIONS,
  type WorkerOptions,
  type WorkerOptionsInput,
  workerOptionsFromEnv,
} from './options.js';
export { type RunningWorker, startWorker, type WorkerDeps } from './worker.js';
