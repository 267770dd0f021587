export {
  currentTraceparent,
  extractContext,
  injectTraceparent,
  isValidTraceparent,
  newTraceparent,
} from './trace-context.js';
