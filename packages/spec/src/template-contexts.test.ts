import { describe, expect, it } from 'vitest';
import { findMisplacedShellTemplates, findMisplacedSqlTemplates } from './template-contexts.js';
import { parseTemplate } from './templates.js';

/** The sources of the misplaced templates, and the phrase that says where each stands. */
function shell(command: string): string[] {
  return findMisplacedShellTemplates(parseTemplate(command).parts).map(
    ({ name, message }) =>
      `${name.source} ${/is (inside (?:single quotes|double quotes|a here-document)|in a comment)/.exec(message)?.[1]}`,
  );
}

function sql(statement: string): string[] {
  return findMisplacedSqlTemplates(parseTemplate(statement).parts).map(
    ({ name, message }) => `${name.source} ${/is (.+?):/.exec(message)?.[1]}`,
  );
}

describe('findMisplacedShellTemplates', () => {
  it('accepts templates that stand as words or parts of words outside quotes', () => {
    const command = [
      'echo {{ params.a }} --day={{ params.b }} "x"{{ params.c }}\'y\'',
      "printf '%s' {{ params.d }} | wc -c # it's fine",
      'out=$(cat {{ params.e }}); echo `ls {{ params.f }}`; echo $((1<<2)) {{ params.g }}',
      'echo \\" {{ params.h }} \\\' {{ params.i }} $#{{ params.j }}',
    ].join('\n');
    expect(shell(command)).toEqual([]);
  });

  it('finds templates inside single or double quotes', () => {
    expect(shell('echo \'{{ params.a }}\' "day: {{ params.b }}" "\\"{{ params.c }}"')).toEqual([
      '{{ params.a }} inside single quotes',
      '{{ params.b }} inside double quotes',
      '{{ params.c }} inside double quotes',
    ]);
  });

  it('finds templates in comments, which end at the line', () => {
    expect(shell('echo a # {{ params.a }}\necho {{ params.b }} #{{ params.c }}')).toEqual([
      '{{ params.a }} in a comment',
      '{{ params.c }} in a comment',
    ]);
  });

  it('finds templates in here-document bodies until the delimiter line, tabs stripped for <<-', () => {
    const command = [
      "cat <<EOF > {{ params.out }}; cat <<-'END'",
      'a {{ params.a }}',
      'EOF',
      '\tb {{ params.b }}',
      '\tEND',
      'echo {{ params.c }}',
    ].join('\n');
    expect(shell(command)).toEqual([
      '{{ params.a }} inside a here-document',
      '{{ params.b }} inside a here-document',
    ]);
  });

  it('explains how to write a quoted template instead', () => {
    const [misplaced] = findMisplacedShellTemplates(parseTemplate('echo "{{ params.day }}"').parts);
    expect(misplaced?.message).toBe(
      'template {{ params.day }} is inside double quotes: a template already becomes one quoted shell word, ' +
        'so write it outside the quotes (e.g. --day={{ params.date }} or "prefix-"{{ params.date }})',
    );
  });
});

describe('findMisplacedSqlTemplates', () => {
  it('accepts templates where a value stands', () => {
    const statement = [
      "SELECT 'it''s', E'\\'', $$ a $$, $tag$ b $tag$, \"col\"\"x\" -- note",
      'FROM t /* a /* nested */ comment */ WHERE day = {{ params.day }} AND n IN ({{ params.a }}, {{ params.b }})',
    ].join('\n');
    expect(sql(statement)).toEqual([]);
  });

  it('finds templates inside literals, quoted identifiers, dollar quotes and comments', () => {
    const statement = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a dollar quote, $f$...$f$, around a template
      "SELECT '{{ params.a }}', E'\\'{{ params.b }}', \"{{ params.c }}\", $f${{ params.d }}$f$",
      '-- {{ params.e }}',
      '/* /* */ {{ params.f }} */ {{ params.ok }}',
    ].join('\n');
    expect(sql(statement)).toEqual([
      '{{ params.a }} inside a string literal',
      '{{ params.b }} inside a string literal',
      '{{ params.c }} inside a quoted identifier',
      '{{ params.d }} inside a dollar-quoted string',
      '{{ params.e }} in a comment',
      '{{ params.f }} in a comment',
    ]);
  });
});
