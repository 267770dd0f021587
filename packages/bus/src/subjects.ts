import { Code, TributaryError } from '@tributary/core';
import type { BusSubjects } from './types.js';

/** The prefix used when none is given. */
export const DEFAULT_PREFIX = 'trib';

/** Name of the consumer the coordinator pulls from, on the events stream and on the triggers stream. */
export const COORDINATOR_CONSUMER = 'coordinator';

// Names end up in subjects, stream names and bucket names: the intersection of what all three allow.
const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Checks a prefix or pool name.
 * @throws TributaryError `InvalidArgument` naming `what` when it does not match `/^[A-Za-z0-9_-]+$/`.
 */
export function assertName(what: 'prefix' | 'pool', value: string): void {
  if (!NAME_PATTERN.test(value)) {
    throw new TributaryError(
      Code.InvalidArgument,
      `${what} must match /^[A-Za-z0-9_-]+$/, got ${JSON.stringify(value)}`,
    );
  }
}

/** The subjects under `prefix`. */
export function createSubjects(prefix: string): BusSubjects {
  assertName('prefix', prefix);
  return {
    task(pool: string): string {
      assertName('pool', pool);
      return `${prefix}.task.${pool}`;
    },
    events: `${prefix}.event.batch`,
    heartbeat: `${prefix}.heartbeat`,
    cancel: `${prefix}.cancel`,
    taskLog(ref) {
      return `${prefix}.log.${subjectToken(ref.runId)}.${subjectToken(ref.taskId)}.${ref.attempt}`;
    },
  };
}

// What a subject token may hold as it is: everything else is escaped, so that no id can add a token
// ('.'), match others ('*', '>') or break the protocol line (whitespace).
const PLAIN_TOKEN_CHAR = /[A-Za-z0-9_-]/;

/**
 * One subject token that stands for `id` and no other: characters other than letters, digits, '_' and
 * '-' become `~` and their UTF-8 bytes in hex (`load[3]` is `load~5b3~5d`); `~` itself is escaped too,
 * so two ids never share a token. The empty id is `~`.
 */
export function subjectToken(id: string): string {
  if (id === '') return '~';
  let token = '';
  for (const char of id) {
    if (PLAIN_TOKEN_CHAR.test(char)) {
      token += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) token += `~${byte.toString(16).padStart(2, '0')}`;
  }
  return token;
}

/** Stream, consumer and bucket names under one prefix. */
export interface TopologyNames {
  tasksStream: string;
  eventsStream: string;
  tasksSubjects: string;
  eventsSubjects: string;
  bundlesBucket: string;
  outputsBucket: string;
  /** The KV bucket of run contexts. */
  contextBucket: string;
  /** The stream of task attempts' log lines. */
  logsStream: string;
  logsSubjects: string;
  /** The stream of messages on DAGs' `on` subjects (its subjects are the users', not under the prefix). */
  triggersStream: string;
  poolConsumer(pool: string): string;
}

/** The JetStream names under `prefix`: streams are upper-cased (`TRIB_TASKS`), the bucket is not. */
export function createTopologyNames(prefix: string): TopologyNames {
  assertName('prefix', prefix);
  const upper = prefix.toUpperCase();
  return {
    tasksStream: `${upper}_TASKS`,
    eventsStream: `${upper}_EVENTS`,
    tasksSubjects: `${prefix}.task.>`,
    eventsSubjects: `${prefix}.event.>`,
    bundlesBucket: `${prefix}-bundles`,
    outputsBucket: `${prefix}-outputs`,
    contextBucket: `${prefix}-context`,
    logsStream: `${upper}_LOGS`,
    logsSubjects: `${prefix}.log.>`,
    triggersStream: `${upper}_TRIGGERS`,
    poolConsumer(pool: string): string {
      assertName('pool', pool);
      return `pool-${pool}`;
    },
  };
}

/**
 * The `<runId>.<taskId>.<attempt>` de-duplication id of an attempt's task message (also its outbox
 * row's `msg_id`, which the broker-loss sweep builds the same way in SQL).
 */
export function taskMessageId(ref: { runId: string; taskId: string; attempt: number }): string {
  return `${ref.runId}.${ref.taskId}.${ref.attempt}`;
}
