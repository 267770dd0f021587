/**
 * Why `subject` cannot be an event trigger's NATS subject, or undefined when it can: tokens separated
 * by dots, none empty, no whitespace; `*` (one token) only as a whole token and `>` (the rest) only as
 * the whole last token, as the NATS server requires of a subscription; and not starting with `$`,
 * which the server keeps for its own subjects. NATS_SUBJECT_PATTERN in trigger-fields.ts is the same
 * rule for editors.
 */
export function natsSubjectProblem(subject: string): string | undefined {
  const invalid = `invalid NATS subject '${subject}'`;
  if (subject === '') return 'must be a non-empty NATS subject, e.g. orders.created';
  if (/\s/.test(subject)) return `${invalid}: a subject cannot hold whitespace`;
  if (subject.startsWith('$')) {
    return `${invalid}: subjects starting with '$' are the NATS server's own ($JS, $SYS, ...)`;
  }
  const tokens = subject.split('.');
  for (const [index, token] of tokens.entries()) {
    if (token === '') return `${invalid}: a token between dots is empty`;
    if (token.includes('*') && token !== '*') {
      return `${invalid}: '*' matches one whole token, so it stands alone between dots (orders.*.eu)`;
    }
    if (token.includes('>') && (token !== '>' || index !== tokens.length - 1)) {
      return `${invalid}: '>' matches the rest of a subject, so it can only be the whole last token (orders.>)`;
    }
  }
  return undefined;
}
