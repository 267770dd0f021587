export { checkCronExpression, checkTimezone } from './check.js';
export { CronSchedule, type CronScheduleOptions, type DataInterval } from './cron-schedule.js';
export { decideSchedule, type ScheduleDecision, type ScheduleInput } from './decide.js';
export { localTimeToEpoch } from './local-time.js';
export { DEFAULT_OVERLAP_POLICY, OVERLAP_POLICIES, type OverlapPolicy } from './policies.js';
