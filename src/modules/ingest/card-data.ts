import { parse } from 'csv-parse/sync';
import { scanXml } from './formats/xml-scan.js';
import { maskPans, mayHoldPan } from './pan-mask.js';
import { formatOf } from './payload-parser.js';

/**
 * Card data never reaches storage (PCI DSS 3.3): before a payload is normalized or stored, card
 * numbers are masked (pan-mask.ts), and card security codes and magnetic-stripe track data are
 * replaced by this marker wherever they are found: by their field's name, and track data also by
 * its shape. Applied both to the parsed record (what the connectors read) and to the record's
 * stored text, in that text's own syntax, so the stored bytes stay a valid document.
 */
export const REDACTED = '[redacted]';

/**
 * Field names are compared folded: lower case, letters and digits only (`card_cvv`, `cardCVV` →
 * `cardcvv`). A name ending in one of these holds a security code or track data whatever its
 * value; `cvc_check` or `cvvResult` (a check's outcome) do not end in one.
 */
const SECRET_NAME_ENDINGS = [
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'cvn',
  'cvn2',
  'cvd',
  'cav2',
  'cardcode',
  'securitycode',
  'verificationvalue',
  'cvvnumber',
  'cvcnumber',
  'codigoseguranca',
  'codigodeseguranca',
  'codigoseguridad',
  'codigodeseguridad',
  'track1',
  'track2',
  'trackdata',
  'track1data',
  'track2data',
  'magstripe',
  'magstripedata',
  'magneticstripe',
];
/** Names that mean a security code only sometimes (`cid` is also a customer or content id): their value goes when it is shaped like one. */
const CODE_NAME_ENDINGS = ['cid', 'csc', 'verificationcode'];
/** No name without one of these fragments can match the lists above; it spares folding nearly every key. */
const NAME_HINT = /cv|cid|csc|cav|secur|segur|cardcode|verif|track|stripe/i;

const CODE_SHAPE = /^\d{3,4}$/;
/** Track 2 (`PAN=YYMM…`, `D` in EMV's track-2 equivalent) and track 1 (`B` PAN `^`NAME`^`…), by shape. */
const TRACK_DATA = /(?<!\d)\d{12,19}[=D]\d{4}|B\d{12,19}\^/;

type Sensitivity = 0 | 1 | 2;
const NONE: Sensitivity = 0;
/** The value goes when shaped like a security code. */
const CODE: Sensitivity = 1;
/** The value goes, whatever it is. */
const SECRET: Sensitivity = 2;

function sensitivityOf(name: string): Sensitivity {
  if (!NAME_HINT.test(name)) return NONE;
  const folded = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (SECRET_NAME_ENDINGS.some((e) => folded.endsWith(e))) return SECRET;
  return CODE_NAME_ENDINGS.some((e) => folded.endsWith(e)) ? CODE : NONE;
}

/** A value inside a sensitive field is as sensitive as the field (the list under `cvv`, the element inside `<cvv>`). */
const within = (outer: Sensitivity, name: string): Sensitivity => Math.max(outer, sensitivityOf(name)) as Sensitivity;

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text a character-data or attribute value stands for (the five XML entities and character references). */
function decodeXml(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(
    /&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,8})|(amp|lt|gt|quot|apos));/g,
    (whole, dec?: string, hex?: string, name?: string) => {
      if (name) return XML_ENTITIES[name]!;
      const code = dec ? Number(dec) : Number.parseInt(hex!, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    },
  );
}

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Whether a value (already decoded) is to be replaced whole: a secret field's, a code field's code, or track data. */
function goes(value: string, sensitivity: Sensitivity): boolean {
  if (sensitivity === SECRET) return value.trim() !== '';
  if (sensitivity === CODE && CODE_SHAPE.test(value.trim())) return true;
  return TRACK_DATA.test(value);
}

/**
 * The parsed record as connectors may read it. Copy-on-write: a record without card data (nearly
 * every one) is returned as is, unallocated. Objects are rebuilt from entries, never by assigning
 * keys, so no name reaches a prototype.
 */
export function redactRecord(record: unknown): unknown {
  const walk = (v: unknown, sensitivity: Sensitivity): unknown => {
    if (typeof v === 'string') return goes(decodeXml(v), sensitivity) ? REDACTED : maskPans(v).text;
    if (typeof v === 'number') {
      if (goes(String(v), sensitivity)) return REDACTED;
      if (!Number.isInteger(v)) return v;
      const masked = maskPans(String(v));
      return masked.masked > 0 ? masked.text : v;
    }
    if (Array.isArray(v)) {
      let out: unknown[] | null = null;
      for (let i = 0; i < v.length; i++) {
        const child = walk(v[i], sensitivity);
        if (child !== v[i]) (out ??= v.slice())[i] = child;
      }
      return out ?? v;
    }
    if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v);
      let out: [string, unknown][] | null = null;
      entries.forEach(([key, child], i) => {
        const name = maskPans(key).text;
        const value = walk(child, within(sensitivity, key));
        if (out === null && (name !== key || value !== child)) out = entries.slice(0, i);
        out?.push([name, value]);
      });
      return out === null ? v : Object.fromEntries(out);
    }
    return v;
  };
  return walk(record, NONE);
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(text: string, edits: readonly Edit[]): string {
  if (edits.length === 0) return text;
  let out = '';
  let from = 0;
  for (const edit of edits) {
    out += text.slice(from, edit.start) + edit.text;
    from = edit.end;
  }
  return out + text.slice(from);
}

/** Whether a text can hold anything to redact: digits or escapes for a PAN (track data holds one), or a sensitive name. */
const mayHoldCardData = (text: string) => mayHoldPan(text) || NAME_HINT.test(text);

/** JSON text, token by token: values of sensitive keys, track data and PANs (a PAN written as a number becomes a masked string). */
function redactJson(text: string): string {
  if (!mayHoldCardData(text)) return text;
  const edits: Edit[] = [];
  /** Per open container: whether it is an object, its own sensitivity, and (objects) the sensitivity of the value after the current key. */
  const stack: { object: boolean; sensitivity: Sensitivity; value: Sensitivity }[] = [];
  let expectKey = false;
  const valueSensitivity = (): Sensitivity => {
    const top = stack[stack.length - 1];
    return top === undefined ? NONE : top.object ? top.value : top.sensitivity;
  };
  const scalar = (start: number, end: number, raw: string, decoded: string, isString: boolean) => {
    if (goes(decoded, valueSensitivity())) return edits.push({ start, end, text: JSON.stringify(REDACTED) });
    const masked = maskPans(raw);
    if (masked.masked > 0) edits.push({ start, end, text: isString ? masked.text : JSON.stringify(masked.text) });
  };
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) {
        if (text.charCodeAt(i) === 92) {
          escaped = true;
          i++;
        }
      }
      i = Math.min(i + 1, text.length);
      const raw = text.slice(start, i);
      const decoded = escaped ? decodeJsonString(raw) : raw.slice(1, -1);
      const top = stack[stack.length - 1];
      if (expectKey && top?.object) {
        top.value = within(top.sensitivity, decoded);
        const masked = maskPans(raw);
        if (masked.masked > 0) edits.push({ start, end: i, text: masked.text });
        expectKey = false;
      } else scalar(start, i, raw, decoded, true);
    } else if (c === 45 || isDigitCode(c)) {
      const start = i;
      while (i < text.length && isNumberCode(text.charCodeAt(i))) i++;
      const raw = text.slice(start, i);
      scalar(start, i, raw, raw, false);
    } else {
      if (c === 123 || c === 91) {
        stack.push({ object: c === 123, sensitivity: valueSensitivity(), value: NONE });
        expectKey = c === 123;
      } else if (c === 125 || c === 93) {
        stack.pop();
        expectKey = false;
      } else if (c === 44) expectKey = stack[stack.length - 1]?.object ?? false;
      i++;
    }
  }
  return applyEdits(text, edits);
}

const isDigitCode = (c: number) => c >= 48 && c <= 57;
/** Characters of a JSON number: digits, sign, point, exponent. */
const isNumberCode = (c: number) => isDigitCode(c) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;

function decodeJsonString(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

/**
 * XML text: attribute values, and each element's character data (its text and CDATA between two
 * tags, read as one) by the element's name, for track data and for PANs. Character data that must
 * change is written back escaped, without the CDATA sections and comments it held.
 */
function redactXml(text: string): string {
  if (!mayHoldCardData(text)) return text;
  const edits: Edit[] = [];
  const stack: Sensitivity[] = [];
  const current = () => stack[stack.length - 1] ?? NONE;
  /** Character data since the last tag: its span, its decoded content, and whether it is one plain text segment. */
  let run: { start: number; end: number; content: string; plain: boolean; hidden: boolean } | null = null;
  const add = (start: number, end: number, content: string, plain: boolean, hidden = false) => {
    if (run === null) run = { start, end, content, plain, hidden };
    else {
      run.end = end;
      run.content += content;
      run.plain = false;
      run.hidden ||= hidden;
    }
  };
  const flush = () => {
    const r = run;
    run = null;
    if (r === null) return;
    if (goes(r.content, current())) return edits.push({ start: r.start, end: r.end, text: REDACTED });
    if (r.plain) {
      const masked = maskPans(text.slice(r.start, r.end));
      if (masked.masked > 0) edits.push({ start: r.start, end: r.end, text: masked.text });
      return;
    }
    const masked = maskPans(r.content);
    if (masked.masked > 0 || r.hidden) edits.push({ start: r.start, end: r.end, text: escapeXml(masked.text) });
  };
  scanXml(text, {
    text: (start, end) => add(start, end, decodeXml(text.slice(start, end)), true),
    cdata: (start, end, innerStart, innerEnd) => add(start, end, text.slice(innerStart, innerEnd), false),
    // A comment holding a PAN is dropped with the character data around it.
    comment: (start, end, innerStart, innerEnd) =>
      add(
        start,
        end,
        '',
        false,
        maskPans(text.slice(innerStart, innerEnd)).masked > 0 || TRACK_DATA.test(text.slice(innerStart, innerEnd)),
      ),
    other: (start, end) => {
      flush();
      const masked = maskPans(text.slice(start, end));
      if (masked.masked > 0) edits.push({ start, end, text: masked.text });
    },
    open: (tag) => {
      flush();
      const sensitivity = within(current(), tag.name);
      for (const attribute of tag.attributes) {
        const raw = text.slice(attribute.valueStart, attribute.valueEnd);
        if (goes(decodeXml(raw), within(sensitivity, attribute.name))) {
          edits.push({ start: attribute.valueStart, end: attribute.valueEnd, text: REDACTED });
          continue;
        }
        const masked = maskPans(raw);
        if (masked.masked > 0) edits.push({ start: attribute.valueStart, end: attribute.valueEnd, text: masked.text });
      }
      if (!tag.selfClosing) stack.push(sensitivity);
    },
    close: () => {
      flush();
      stack.pop();
    },
  });
  flush();
  return applyEdits(text, edits);
}

const csvCell = (cell: string) =>
  /[",\r\n]/.test(cell) || cell !== cell.trim() ? `"${cell.replaceAll('"', '""')}"` : cell;

/**
 * CSV text (a header line and one row): cells of sensitive columns (a dotted header is as sensitive
 * as its most sensitive part) and cells holding track data are replaced and the text written
 * again; then PANs are masked in place (a masked number holds no comma, quote or line break).
 */
function redactCsv(text: string): string {
  return maskPans(NAME_HINT.test(text) || TRACK_DATA.test(text) ? redactCsvCells(text) : text).text;
}

function redactCsvCells(text: string): string {
  const rows = parse(text, {
    bom: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
  }) as string[][];
  const [header, ...data] = rows;
  if (header) {
    const sensitivities = header.map((h) => h.split('.').reduce(within, NONE));
    let changed = false;
    const redacted = data.map((row) =>
      row.map((cell, i) => {
        if (!goes(cell, sensitivities[i] ?? NONE)) return cell;
        changed = true;
        return REDACTED;
      }),
    );
    if (changed) return [header, ...redacted].map((row) => row.map(csvCell).join(',')).join('\n');
  }
  return text;
}

/** The parsed record to normalize and the text to store, both without card data. */
export function redactCardData(
  record: unknown,
  text: string,
  contentType: string | undefined,
): { payload: unknown; storedText: string } {
  // The record is parsed from `text`: a text without digits runs, escapes or sensitive names gives a
  // record without them, so the common clean event is not walked a second time, value by value.
  if (!mayHoldCardData(text)) return { payload: record, storedText: text };
  const format = formatOf(contentType);
  const storedText = format === 'xml' ? redactXml(text) : format === 'csv' ? redactCsv(text) : redactJson(text);
  return { payload: redactRecord(record), storedText };
}
