import { Document, parse, Scalar, visit } from 'yaml';

/**
 * Whether a YAML 1.1 reader (PyYAML, older tools, a person used to them) would read this plain
 * scalar as something other than the string: `yes`, `on`, `2024-01-01`, `12:30`, `1_000`. The
 * `yaml` package writes YAML 1.2, which already quotes what 1.2 would misread (`true`, `1e3`,
 * `null`), but leaves these plain.
 */
function misreadByYaml11(text: string): boolean {
  try {
    return parse(text, { version: '1.1' }) !== text;
  } catch {
    return true;
  }
}

/** Double-quotes every single-line string scalar of the document that YAML 1.1 would misread. */
function quoteAmbiguous(doc: Document): Document {
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && !node.value.includes('\n') && misreadByYaml11(node.value)) {
        node.type = Scalar.QUOTE_DOUBLE;
      }
    },
  });
  return doc;
}

/**
 * A value as YAML block text, strings quoted wherever YAML 1.1 or 1.2 would read them as anything
 * else (so a filled form means the same to every reader). Ends without a newline.
 */
export function yamlBlock(value: unknown): string {
  return quoteAmbiguous(new Document(value)).toString({ lineWidth: 0 }).trimEnd();
}

/** A value on one line (flow style), quoted like {@link yamlBlock}: what one would type after `key: `. */
export function yamlFlow(value: unknown): string {
  const doc = new Document(value, { flow: true });
  // A multi-line string in flow style must be double-quoted to stay on one line.
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && node.value.includes('\n')) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return quoteAmbiguous(doc).toString({ lineWidth: 0 }).trimEnd();
}

/** A mapping key on one line: plain when that is safe, else double-quoted. */
export function yamlKey(name: string): string {
  const text = yamlFlow(name);
  // A long key would need YAML's explicit `? ` form; JSON quoting is a valid implicit key below 1024.
  return text.includes('\n') || text.length > 1000 ? JSON.stringify(name) : text;
}
