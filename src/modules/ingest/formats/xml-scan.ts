/**
 * One left-to-right pass over XML text, reporting its markup by offsets. Every terminator is found
 * with `indexOf` or a single forward loop and the scan only moves forward, so any input costs time
 * linear in its length; a construct left open (a comment, a quoted attribute value, a tag) ends
 * the scan, as nothing after it can be well-formed XML. It checks nothing: the validator does.
 */

export interface XmlAttribute {
  name: string;
  /** The value between its quotes (or the bare value), as offsets into the text. */
  valueStart: number;
  valueEnd: number;
}

export interface XmlStartTag {
  name: string;
  attributes: XmlAttribute[];
  selfClosing: boolean;
}

export interface XmlVisitor {
  /** Character data between markup (entities still encoded). */
  text?(start: number, end: number): void;
  /** A CDATA section: `start`/`end` span the markup, `innerStart`/`innerEnd` its literal content. */
  cdata?(start: number, end: number, innerStart: number, innerEnd: number): void;
  comment?(start: number, end: number, innerStart: number, innerEnd: number): void;
  /** A processing instruction or declaration (`<?…?>`, `<!…>`). */
  other?(start: number, end: number): void;
  open?(tag: XmlStartTag, start: number, end: number): void;
  close?(name: string, start: number, end: number): void;
  /** A `<` that starts no markup (no name follows, or another `<` comes first): the scan goes on past it as character data. */
  stray?(at: number): void;
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
/** Characters that end a name inside a tag. */
const endsName = (c: number) => isSpace(c) || c === 47 || c === 62 || c === 61 || c === 60 || Number.isNaN(c);

/**
 * Reads a start tag from just after `<`: `end` is past its `>`, or -1 when the tag never closes.
 * A `<` met inside a tag means it was no tag (`tag` null): the scan resumes at that `<`, never
 * rereading what was read, so the `<`s inside quoted values of a broken tag cost nothing twice.
 */
function readStartTag(text: string, from: number): { tag: XmlStartTag | null; end: number } {
  let i = from;
  while (!endsName(text.charCodeAt(i))) i++;
  if (i === from) return { tag: null, end: from };
  const tag: XmlStartTag = { name: text.slice(from, i), attributes: [], selfClosing: false };
  for (;;) {
    while (isSpace(text.charCodeAt(i))) i++;
    const c = text.charCodeAt(i);
    if (Number.isNaN(c)) return { tag, end: -1 };
    if (c === 62) return { tag, end: i + 1 };
    if (c === 47 && text.charCodeAt(i + 1) === 62) {
      tag.selfClosing = true;
      return { tag, end: i + 2 };
    }
    if (c === 60) return { tag: null, end: i };
    if (c === 47 || c === 61) {
      i++;
      continue;
    }
    const nameStart = i;
    while (!endsName(text.charCodeAt(i))) i++;
    const name = text.slice(nameStart, i);
    while (isSpace(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 61) {
      tag.attributes.push({ name, valueStart: i, valueEnd: i });
      continue;
    }
    i++;
    while (isSpace(text.charCodeAt(i))) i++;
    const quote = text.charCodeAt(i);
    if (quote === 34 || quote === 39) {
      const close = text.indexOf(quote === 34 ? '"' : "'", i + 1);
      if (close < 0) return { tag, end: -1 };
      tag.attributes.push({ name, valueStart: i + 1, valueEnd: close });
      i = close + 1;
    } else {
      const valueStart = i;
      while (!isSpace(text.charCodeAt(i)) && text.charCodeAt(i) !== 62 && !Number.isNaN(text.charCodeAt(i))) i++;
      tag.attributes.push({ name, valueStart, valueEnd: i });
    }
  }
}

export function scanXml(text: string, visitor: XmlVisitor): void {
  let pos = 0;
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const textEnd = lt < 0 ? text.length : lt;
    if (textEnd > pos) visitor.text?.(pos, textEnd);
    if (lt < 0) return;
    if (text.startsWith('<!--', lt)) {
      const close = text.indexOf('-->', lt + 4);
      if (close < 0) return;
      visitor.comment?.(lt, close + 3, lt + 4, close);
      pos = close + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const close = text.indexOf(']]>', lt + 9);
      if (close < 0) return;
      visitor.cdata?.(lt, close + 3, lt + 9, close);
      pos = close + 3;
    } else if (text.charCodeAt(lt + 1) === 63) {
      const close = text.indexOf('?>', lt + 2);
      if (close < 0) return;
      visitor.other?.(lt, close + 2);
      pos = close + 2;
    } else if (text.charCodeAt(lt + 1) === 33) {
      const close = text.indexOf('>', lt + 2);
      if (close < 0) return;
      visitor.other?.(lt, close + 1);
      pos = close + 1;
    } else if (text.charCodeAt(lt + 1) === 47) {
      const close = text.indexOf('>', lt + 2);
      if (close < 0) return;
      visitor.close?.(text.slice(lt + 2, close).trim(), lt, close + 1);
      pos = close + 1;
    } else {
      const read = readStartTag(text, lt + 1);
      if (read.end < 0) return;
      if (read.tag === null) {
        visitor.stray?.(lt);
        visitor.text?.(lt, read.end);
      } else visitor.open?.(read.tag, lt, read.end);
      pos = read.end;
    }
  }
}
