// A reader for the plain YAML that docker-compose.yml is written in, keeping each node's line and
// comment so the hardening check can name lines and require a comment on every added capability.
// Supported: block mappings and sequences, flow sequences and flow mappings of scalars, plain and quoted
// scalars, comments. Anchors, aliases, tags, block scalars and multiple documents are refused with the
// line number: the compose file stays explicit, service by service, so an auditor can read each one.

export type YamlValue = string | number | boolean | null | YamlNode[] | YamlMap;
export type YamlMap = Map<string, YamlNode>;

export interface YamlNode {
  value: YamlValue;
  line: number;
  /** The comment at the end of the node's line, or on the line just above it. */
  comment?: string;
  /** The file the node was read from, when several are merged (parseYaml's `file`). */
  file?: string;
}

export class YamlError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

interface Line {
  number: number;
  indent: number;
  text: string;
  comment?: string;
}

/** Splits a line into content and comment; `#` starts a comment only outside quotes, after a space. */
function splitComment(raw: string): { text: string; comment?: string } {
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(raw[i - 1]!))) {
      return { text: raw.slice(0, i).trimEnd(), comment: raw.slice(i + 1).trim() };
    }
  }
  return { text: raw.trimEnd() };
}

function tokenize(source: string): Line[] {
  const lines: Line[] = [];
  let pendingComment: string | undefined;
  source.split(/\r?\n/).forEach((raw, index) => {
    const number = index + 1;
    if (raw.includes('\t') && /^\s*\t/.test(raw)) throw new YamlError(number, 'tab indentation');
    const { text, comment } = splitComment(raw);
    if (text.trim() === '') {
      pendingComment = comment;
      return;
    }
    if (text === '---' || text === '...') throw new YamlError(number, 'one document only');
    const indent = text.length - text.trimStart().length;
    lines.push({ number, indent, text: text.trim(), comment: comment ?? pendingComment });
    pendingComment = undefined;
  });
  return lines;
}

function unquote(text: string, line: number): string {
  const quote = text[0];
  if (text.length < 2 || text.at(-1) !== quote)
    throw new YamlError(line, `unclosed quote: ${text}`);
  const body = text.slice(1, -1);
  if (quote === "'") return body.replace(/''/g, "'");
  return body.replace(/\\(["\\/nt])/g, (_, ch: string) =>
    ch === 'n' ? '\n' : ch === 't' ? '\t' : ch,
  );
}

/** Splits a flow collection's inside on commas outside quotes. */
function splitFlow(inside: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let current = '';
  for (const ch of inside) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === ',') {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

function scalar(text: string, line: number): YamlValue {
  if (/^[&*!|>%@`]/.test(text)) {
    throw new YamlError(line, `unsupported YAML (anchor, alias, tag or block scalar): ${text}`);
  }
  if (text.startsWith("'") || text.startsWith('"')) return unquote(text, line);
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new YamlError(line, 'a flow sequence must end on its line');
    return splitFlow(text.slice(1, -1)).map((part) => ({ value: scalar(part, line), line }));
  }
  if (text.startsWith('{')) {
    if (!text.endsWith('}')) throw new YamlError(line, 'a flow mapping must end on its line');
    const map: YamlMap = new Map();
    for (const part of splitFlow(text.slice(1, -1))) {
      const pair = splitKey(part, line);
      if (!pair) throw new YamlError(line, `not a key: value pair: ${part}`);
      map.set(pair.key, { value: scalar(pair.rest, line), line });
    }
    return map;
  }
  if (/^(true|false)$/.test(text)) return text === 'true';
  if (/^(null|~)$/.test(text)) return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/** `key: rest` or `key:` → the key and what follows; null when the text is not a mapping entry. */
function splitKey(text: string, line: number): { key: string; rest: string } | null {
  const quoted = /^(['"])(.*?)\1:(\s|$)/.exec(text);
  if (quoted) {
    return {
      key: unquote(`${quoted[1]}${quoted[2]}${quoted[1]}`, line),
      rest: text.slice(quoted[0].length).trim(),
    };
  }
  const plain = /^([^\s'"[\]{},#&*!|>][^:#]*?):(\s|$)/.exec(text);
  if (!plain) return null;
  if (plain[1] === '<<') throw new YamlError(line, 'merge keys (<<) are not supported');
  return { key: plain[1]!, rest: text.slice(plain[0].length).trim() };
}

class Parser {
  private index = 0;
  private readonly lines: Line[];
  constructor(lines: Line[]) {
    this.lines = lines;
  }

  parseDocument(): YamlNode {
    const first = this.lines[0];
    if (!first) return { value: new Map(), line: 1 };
    const node = this.parseBlock(first.indent);
    const extra = this.lines[this.index];
    if (extra) throw new YamlError(extra.number, 'unexpected indentation');
    return node;
  }

  private parseBlock(indent: number): YamlNode {
    const line = this.lines[this.index]!;
    return line.text === '-' || line.text.startsWith('- ')
      ? this.parseSequence(indent)
      : this.parseMapping(indent);
  }

  private parseMapping(indent: number): YamlNode {
    const map: YamlMap = new Map();
    const start = this.lines[this.index]!;
    while (this.index < this.lines.length) {
      const line = this.lines[this.index]!;
      if (line.indent < indent) break;
      if (line.indent > indent) throw new YamlError(line.number, 'unexpected indentation');
      const pair = splitKey(line.text, line.number);
      if (!pair) throw new YamlError(line.number, `expected "key: value": ${line.text}`);
      if (map.has(pair.key)) throw new YamlError(line.number, `duplicate key "${pair.key}"`);
      this.index++;
      map.set(pair.key, this.valueAfter(pair.rest, line, indent));
    }
    return { value: map, line: start.number, comment: start.comment };
  }

  private parseSequence(indent: number): YamlNode {
    const items: YamlNode[] = [];
    const start = this.lines[this.index]!;
    while (this.index < this.lines.length) {
      const line = this.lines[this.index]!;
      if (line.indent < indent || !(line.text === '-' || line.text.startsWith('- '))) break;
      if (line.indent > indent) throw new YamlError(line.number, 'unexpected indentation');
      const rest = line.text.slice(1).trim();
      if (rest !== '' && splitKey(rest, line.number)) {
        // "- key: value" opens a mapping whose keys sit two columns in.
        this.lines[this.index] = { ...line, indent: line.indent + 2, text: rest };
        items.push(this.parseMapping(line.indent + 2));
      } else {
        this.index++;
        items.push(this.valueAfter(rest, line, indent));
      }
    }
    return { value: items, line: start.number, comment: start.comment };
  }

  /** The value of a key or item: inline, a nested block, or null when nothing follows. */
  private valueAfter(rest: string, line: Line, indent: number): YamlNode {
    if (rest !== '')
      return { value: scalar(rest, line.number), line: line.number, comment: line.comment };
    const next = this.lines[this.index];
    // A flow collection on the next line, indented: how prettier wraps a long `key: [a, b, ...]`.
    if (next && next.indent > indent && /^[[{]/.test(next.text)) {
      this.index++;
      return { value: scalar(next.text, next.number), line: line.number, comment: line.comment };
    }
    const nestedSequence = next && next.indent === indent && next.text.startsWith('- ');
    if (next && (next.indent > indent || nestedSequence)) {
      const node = this.parseBlock(next.indent);
      return { ...node, line: line.number, comment: line.comment ?? node.comment };
    }
    return { value: null, line: line.number, comment: line.comment };
  }
}

/** Parses one document; `file` is recorded on every node, so merged findings can name it. */
export function parseYaml(source: string, file?: string): YamlNode {
  const root = new Parser(tokenize(source)).parseDocument();
  if (file !== undefined) tag(root, file);
  return root;
}

function tag(node: YamlNode, file: string): void {
  node.file = file;
  const { value } = node;
  if (value instanceof Map) for (const child of value.values()) tag(child, file);
  else if (Array.isArray(value)) for (const child of value) tag(child, file);
}

/**
 * An override file applied on top of a compose file (`docker compose -f base -f override`), the way
 * Compose merges them: mappings key by key, sequences (networks, secrets, volumes, ports) joined
 * without repeats, any other value replaced.
 */
export function mergeCompose(base: YamlNode, override: YamlNode): YamlNode {
  const { value: a } = base;
  const { value: b } = override;
  if (a instanceof Map && b instanceof Map) {
    const merged: YamlMap = new Map(a);
    for (const [key, node] of b) {
      const existing = merged.get(key);
      merged.set(key, existing ? mergeCompose(existing, node) : node);
    }
    return { ...base, value: merged };
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const seen = new Set(a.map((item) => JSON.stringify(toPlain(item))));
    return {
      ...base,
      value: [...a, ...b.filter((item) => !seen.has(JSON.stringify(toPlain(item))))],
    };
  }
  return override;
}

/** The plain JavaScript value of a node (maps become objects), for assertions and printing. */
export function toPlain(node: YamlNode | undefined): unknown {
  if (!node) return undefined;
  const { value } = node;
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, toPlain(v)]));
  if (Array.isArray(value)) return value.map(toPlain);
  return value;
}

/** Accessors for rules that read a parsed file: a mapping, a list, or a scalar as text. */
export const asMap = (node: YamlNode | undefined): YamlMap | undefined =>
  node?.value instanceof Map ? node.value : undefined;
export const asList = (node: YamlNode | undefined): YamlNode[] =>
  Array.isArray(node?.value) ? node.value : [];
export const text = (node: YamlNode | undefined): string =>
  node === undefined || node.value === null ? '' : String(toPlain(node));
