import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../../../platform/errors/app-error.js';
import { isRecord } from '../../normalize/index.js';
import { clipped, type RecordList } from './json.format.js';

const options = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Values stay strings: ids with leading zeros and decimal commas must reach the normalizer intact.
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Character references (`&#52;`) are text like any other: decoded, a card number spelled with
  // them is read (and masked) as the digits it is.
  htmlEntities: true,
};
const parser = new XMLParser(options);
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });

/** Root names that mean "a list of events" even when the list holds one element. */
const listRoots = /^(events|transactions|payments|items|records|notifications|list|batch|rows|entries)$|(list|batch)$/i;

function isListOf(rootName: string, child: string): boolean {
  const root = rootName.toLowerCase();
  const item = child.toLowerCase();
  return listRoots.test(rootName) || root === `${item}s` || root === `${item}es`;
}

/**
 * One XML document is one event (its root element's content), or a list: a root whose only child
 * element repeats (`<events><event/>…</events>`). List items are stored as their own XML text.
 * Documents with a DTD are refused: entity expansion is an attack surface with no use here.
 */
export function parseXml(text: string): RecordList {
  if (text.trim() === '') throw new AppError('invalid_body', 'The XML body is empty', { format: 'xml' });
  if (/<!DOCTYPE/i.test(text))
    throw new AppError('invalid_body', 'XML documents with a DOCTYPE are not accepted', { format: 'xml' });
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new AppError('invalid_body', `XML line ${line}, column ${col}: ${clipped(msg)}`, {
      format: 'xml',
      line,
      column: col,
    });
  }
  const doc: unknown = parser.parse(text);
  const rootKeys = isRecord(doc) ? Object.keys(doc) : [];
  if (rootKeys.length !== 1)
    throw new AppError('invalid_body', 'The XML body must have exactly one root element', { format: 'xml' });
  const rootName = rootKeys[0]!;
  const root = (doc as Record<string, unknown>)[rootName];
  if (!isRecord(root))
    throw new AppError('validation_failed', `The XML root <${rootName}> holds no fields`, {
      errors: [{ field: 'body', message: 'expected child elements' }],
    });

  const children = Object.keys(root).filter((k) => !k.startsWith('@_'));
  const only = children.length === 1 ? children[0]! : null;
  const items = only === null ? undefined : root[only];
  if (only !== null && (Array.isArray(items) || (isRecord(items) && isListOf(rootName, only)))) {
    const list = (Array.isArray(items) ? items : [items]).map((item) => (isRecord(item) ? item : { value: item }));
    return { records: list, texts: list.map((item) => builder.build({ [only]: item }) as string), multi: true };
  }
  return { records: [root], texts: [text], multi: false };
}
