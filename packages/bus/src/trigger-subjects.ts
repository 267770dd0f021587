/**
 * Subject arithmetic for event triggers: which messages a DAG's `on.subject` takes, and the subjects of
 * the one stream that captures them all. NATS refuses two subjects in one stream that could both match
 * some message (`orders.>` with `orders.created`, and also `orders.*.eu` with `orders.created.*`), and
 * refuses a stream whose subjects overlap another stream's.
 */
import { natsSubjectProblem } from '@tributary/spec';

/** Whether the concrete `subject` (a message's, without wildcards) is one that `pattern` takes. */
export function subjectMatches(pattern: string, subject: string): boolean {
  return subjectCovers(pattern, subject);
}

/**
 * Whether every subject that `b` matches is matched by `a` as well (`orders.>` covers `orders.*.eu`;
 * a subject covers itself). `b` may hold wildcards: `*` in `a` covers any one token of `b` but `>`,
 * and `>` in `a` covers one or more tokens of any kind.
 */
export function subjectCovers(a: string, b: string): boolean {
  const outer = a.split('.');
  const inner = b.split('.');
  for (const [index, token] of outer.entries()) {
    if (token === '>') return index < inner.length;
    const other = inner[index];
    if (other === undefined || other === '>') return false;
    if (token !== '*' && token !== other) return false;
  }
  return outer.length === inner.length;
}

/** Whether some subject matches both `a` and `b`: what NATS calls overlapping subjects. */
export function subjectsCollide(a: string, b: string): boolean {
  const left = a.split('.');
  const right = b.split('.');
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const x = left[index];
    const y = right[index];
    if (x === '>' || y === '>') return x !== undefined && y !== undefined;
    if (x === undefined || y === undefined) return false;
    if (x !== '*' && y !== '*' && x !== y) return false;
  }
  return true;
}

/**
 * The narrowest subject that covers two colliding subjects: their common tokens, `*` where they
 * differ, and `>` from the first `>` in either (`orders.*.eu` and `orders.created.*` give `orders.*.*`).
 */
function generalize(a: string, b: string): string {
  const left = a.split('.');
  const right = b.split('.');
  const tokens: string[] = [];
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const x = left[index];
    const y = right[index];
    // Colliding subjects of different lengths have a `>` before the shorter one ends.
    if (x === '>' || y === '>' || x === undefined || y === undefined) {
      tokens.push('>');
      break;
    }
    tokens.push(x === y ? x : '*');
  }
  return tokens.join('.');
}

/**
 * Stream subjects that capture every message any of `subjects` matches, no two of them colliding: a
 * subject covered by another is left out, and two that only partly overlap are replaced by the
 * narrowest subject covering both (which also takes messages neither wanted: the consumer drops those).
 * Sorted, without duplicates.
 */
export function minimalSubjects(subjects: Iterable<string>): string[] {
  const set = [...new Set(subjects)];
  for (let merged = true; merged; ) {
    merged = false;
    search: for (const [i, a] of set.entries()) {
      for (let j = i + 1; j < set.length; j++) {
        const b = set[j] as string;
        if (!subjectsCollide(a, b)) continue;
        const wider = subjectCovers(a, b) ? a : subjectCovers(b, a) ? b : generalize(a, b);
        set.splice(j, 1);
        set.splice(i, 1);
        if (!set.includes(wider)) set.push(wider);
        merged = true;
        break search;
      }
    }
  }
  return set.sort();
}

/**
 * Why `subject` cannot be an event trigger's subject under Tributary's `prefix`, or undefined when it
 * can: it is not a valid subject, or it could match one of Tributary's own `<prefix>.>` subjects (its
 * tasks, events and logs would then end up in the trigger stream, or be refused by their own).
 */
export function triggerSubjectProblem(prefix: string, subject: string): string | undefined {
  const invalid = natsSubjectProblem(subject);
  if (invalid !== undefined) return invalid;
  if (subjectsCollide(subject, `${prefix}.>`)) {
    return `'${subject}' overlaps Tributary's own subjects ${prefix}.> (pick a subject outside them)`;
  }
  return undefined;
}
