import { checkCronExpression, checkTimezone, localTimeToEpoch } from '@tributary/schedule';
import type { Node } from 'yaml';
import { natsSubjectProblem } from './nats-subject.js';
import { describeNode, scalarOf } from './node-values.js';
import { report, type SpecContext, type Where } from './positions.js';
import { DATE_TIME_PATTERN, type TriggerValueType } from './trigger-fields.js';

/** The trigger value types read by {@link readTriggerValue}; `on` and `after` have their own readers. */
export type SimpleTriggerValueType = Exclude<TriggerValueType, 'eventTrigger' | 'after' | 'overlap'>;

const DATE_HINT =
  'a date (2026-01-01) or date-time (2026-01-01T06:00), optionally with Z or an offset such as +02:00';

function readText(ctx: SpecContext, node: Node | undefined, where: Where): string | undefined {
  const value = scalarOf(node);
  if (typeof value === 'string' && value.trim() !== '') return value;
  const quote = typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: '${value}')` : '';
  report(ctx, node, `must be a non-empty string (got ${describeNode(node)})${quote}`, where);
  return undefined;
}

/** A string the `check` accepts; its message (or null) is the problem reported at the value. */
function readChecked(
  ctx: SpecContext,
  node: Node | undefined,
  where: Where,
  check: (text: string) => string | null | undefined,
): string | undefined {
  const text = readText(ctx, node, where);
  if (text === undefined) return undefined;
  const problem = check(text);
  if (problem === null || problem === undefined) return text;
  report(ctx, node, problem, where);
  return undefined;
}

/**
 * `start_date`, `end_date`: the text as written, once it is a well-formed date that exists. It becomes
 * an instant only with the schedule's time zone (read-triggers.ts); UTC here only checks its form.
 */
function readDateTime(ctx: SpecContext, node: Node | undefined, where: Where): string | undefined {
  // The core schema leaves dates as strings, but 20260101 (no dashes) is a number.
  const value = scalarOf(node);
  if (typeof value !== 'string') {
    report(ctx, node, `must be ${DATE_HINT} (got ${describeNode(node)})`, where);
    return undefined;
  }
  if (localTimeToEpoch(value, 'UTC') !== null) return value;
  const message = new RegExp(DATE_TIME_PATTERN).test(value.trim())
    ? `no such date or time: '${value}' (check the day of the month, the time and any offset)`
    : `must be ${DATE_HINT} (got '${value}')`;
  report(ctx, node, message, where);
  return undefined;
}

/** Reads one trigger field value of a simple type, reporting every problem with it. */
export function readTriggerValue(
  ctx: SpecContext,
  type: SimpleTriggerValueType,
  node: Node | undefined,
  where: Where,
): string | undefined {
  switch (type) {
    case 'cron':
      return readChecked(ctx, node, where, checkCronExpression);
    case 'timezone':
      return readChecked(ctx, node, where, checkTimezone);
    case 'dateTime':
      return readDateTime(ctx, node, where);
    case 'natsSubject':
      return readChecked(ctx, node, where, natsSubjectProblem);
    case 'dedupeKey':
      return readText(ctx, node, where);
  }
}
