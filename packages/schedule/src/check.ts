import { Cron } from 'croner';

/** Why `timezone` is not an IANA time zone name this runtime knows, or null when it is. */
export function checkTimezone(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return null;
  } catch {
    return `unknown time zone '${timezone}': use an IANA name such as 'UTC', 'Europe/Berlin' or 'America/New_York'`;
  }
}

/**
 * Why `expression` is not a schedule Tributary runs, or null when it is: a cron expression of 5 fields
 * (minute first) or 6 (second first), or a preset (`@hourly`, `@daily`, `@midnight`, `@weekly`,
 * `@monthly`, `@yearly`, `@annually`).
 */
export function checkCronExpression(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith('@') && (fields.length < 5 || fields.length > 6)) {
    return `a cron expression has 5 fields (minute hour day month weekday) or 6 (second first); '${expression}' has ${fields.length}`;
  }
  try {
    new Cron(expression, { paused: true, mode: '5-or-6-parts', timezone: 'UTC' });
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
    return `invalid cron expression '${expression}': ${reason}`;
  }
}
