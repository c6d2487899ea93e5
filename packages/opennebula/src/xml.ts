/**
 * A small strict XML reader for the documents oned hands its drivers (`DS_DRIVER_ACTION_DATA`,
 * `onevm show -x`, `onedatastore show -x`): elements, text, CDATA, the five predefined entities and
 * character references. Anything else — a DOCTYPE, processing instructions other than the XML
 * declaration, unknown entities, mismatched tags, text outside the root — is refused, so a document
 * can never make the parser read a file or expand entities (the classic XXE and billion-laughs holes).
 */

/** One element: its name, its child elements in order, and its text (CDATA and text joined). */
export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  text: string;
}

/** The document is not well-formed XML of the kind oned writes. */
export class XmlError extends Error {
  override name = 'XmlError';
}

const NAME = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** Deepest nesting oned produces is about 6; anything far deeper is not one of its documents. */
const MAX_DEPTH = 64;

function decodeText(raw: string, at: number): string {
  return raw.replace(/&([^;&\s]{0,12});|&/g, (match, entity: string | undefined) => {
    if (entity === undefined) throw new XmlError(`a bare '&' at offset ${at}`);
    const named = ENTITIES[entity];
    if (named !== undefined) return named;
    const numeric = /^#(x[0-9A-Fa-f]{1,6}|[0-9]{1,7})$/.exec(entity);
    if (numeric) {
      const digits = numeric[1]!;
      const code = digits.startsWith('x') ? Number.parseInt(digits.slice(1), 16) : Number(digits);
      if (code > 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    }
    throw new XmlError(`the entity '${match}' at offset ${at} is not allowed`);
  });
}

/** Parses a document into its root element; throws {@link XmlError} with the offset of the problem. */
export function parseXml(text: string): XmlElement {
  let at = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at]!)) at++;
  };
  const readName = (): string => {
    NAME.lastIndex = at;
    const match = NAME.exec(text);
    if (!match) throw new XmlError(`a name was expected at offset ${at}`);
    at += match[0].length;
    return match[0];
  };
  skipSpace();
  if (text.startsWith('<?xml', at)) {
    const end = text.indexOf('?>', at);
    if (end < 0) throw new XmlError('the XML declaration is not closed');
    at = end + 2;
  }
  while (at < text.length) {
    const current = stack[stack.length - 1];
    if (text[at] !== '<') {
      const next = text.indexOf('<', at);
      const end = next < 0 ? text.length : next;
      const raw = text.slice(at, end);
      if (current) current.text += decodeText(raw, at);
      else if (raw.trim() !== '') throw new XmlError(`text outside the root element at offset ${at}`);
      at = end;
      continue;
    }
    if (text.startsWith('<![CDATA[', at)) {
      if (!current) throw new XmlError(`CDATA outside the root element at offset ${at}`);
      const end = text.indexOf(']]>', at);
      if (end < 0) throw new XmlError(`a CDATA section at offset ${at} is not closed`);
      current.text += text.slice(at + 9, end);
      at = end + 3;
      continue;
    }
    if (text.startsWith('<!--', at)) {
      const end = text.indexOf('-->', at);
      if (end < 0) throw new XmlError(`a comment at offset ${at} is not closed`);
      at = end + 3;
      continue;
    }
    if (text.startsWith('<!', at) || text.startsWith('<?', at)) {
      throw new XmlError(`declarations and processing instructions are not allowed (offset ${at})`);
    }
    if (text.startsWith('</', at)) {
      at += 2;
      const name = readName();
      skipSpace();
      if (text[at] !== '>') throw new XmlError(`'>' was expected at offset ${at}`);
      at++;
      const open = stack.pop();
      if (!open || open.name !== name) {
        throw new XmlError(`the closing tag </${name}> does not match <${open?.name ?? ''}>`);
      }
      continue;
    }
    at++;
    const name = readName();
    // oned writes no attributes; skip well-formed ones without keeping them.
    for (;;) {
      skipSpace();
      if (text[at] === '>' || text.startsWith('/>', at)) break;
      readName();
      skipSpace();
      const quote = text[at + 1];
      if (text[at] !== '=' || (quote !== '"' && quote !== "'")) {
        throw new XmlError(`a malformed attribute at offset ${at}`);
      }
      const end = text.indexOf(quote, at + 2);
      if (end < 0) throw new XmlError(`an attribute value at offset ${at} is not closed`);
      at = end + 1;
    }
    const element: XmlElement = { name, children: [], text: '' };
    if (current) current.children.push(element);
    else if (root) throw new XmlError(`a second root element <${name}> at offset ${at}`);
    else root = element;
    if (text.startsWith('/>', at)) {
      at += 2;
    } else {
      at++;
      stack.push(element);
      if (stack.length > MAX_DEPTH) throw new XmlError('the document is nested too deeply');
    }
  }
  if (stack.length > 0) throw new XmlError(`the element <${stack[stack.length - 1]!.name}> is not closed`);
  if (!root) throw new XmlError('the document is empty');
  return root;
}

/** The first child element at a `/`-separated path below `element` (e.g. `TEMPLATE/MD5`). */
export function child(element: XmlElement | undefined, path: string): XmlElement | undefined {
  let current = element;
  for (const part of path.split('/')) {
    current = current?.children.find((c) => c.name === part);
    if (!current) return undefined;
  }
  return current;
}

/** Every child element named `name` directly below `element`. */
export function childrenNamed(element: XmlElement | undefined, name: string): XmlElement[] {
  return element?.children.filter((c) => c.name === name) ?? [];
}

/** The text at a path, trimmed; undefined when the element is absent or empty. */
export function textAt(element: XmlElement | undefined, path: string): string | undefined {
  const value = child(element, path)?.text.trim();
  return value === undefined || value === '' ? undefined : value;
}
