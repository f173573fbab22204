import { SPECIFIC_CHARACTER_SET, type Tag, type VR, vrInfo } from '../../core/index.ts';
import { DataSet, Element } from '../../object/index.ts';
import { type MatchOptions, matchingItems } from './header-matching.ts';
import { type FindPlan, QUERY_RETRIEVE_LEVEL, RETRIEVE_AE_TITLE, type ResponseField } from './query.ts';

/**
 * C-FIND response identifiers: exactly the keys of the request, plus Specific Character Set,
 * Query/Retrieve Level and Retrieve AE Title (PS3.4 §C.4.1.1.3.2). The index stores decoded
 * Unicode, so responses are UTF-8 ('ISO_IR 192'); values taken from a stored header in
 * another character set are decoded with it and re-encoded.
 */

/** Options for copying whole items, where nothing is matched. */
const ALL: MatchOptions = { caseInsensitivePN: true };

/** An element with no value, for any VR (set() needs a known VR for private tags). */
function empty(tag: Tag, vr: VR): Element {
  return new Element(tag, vr, new Uint8Array(0));
}

/** Copies an element of `from` into `to`, re-encoding text in `to`'s character set. */
export function copyElement(from: DataSet, tag: Tag, to: DataSet): void {
  const element = from.element(tag);
  if (!element) return;
  if (element.items) {
    const copy = new Element(tag, element.vr, undefined, true);
    copy.items = element.items.map((item) => copyItem(item, to, undefined, ALL));
    to.add(copy);
  } else if (vrInfo(element.vr).usesCharset && element.bytes && element.bytes.length > 0) {
    to.set(tag, from.values(tag) as string[], element.vr);
  } else {
    to.add(element);
  }
}

/** A copy of an item with only `keys` (all of them when undefined). */
function copyItem(item: DataSet, parent: DataSet, keys: DataSet | undefined, options: MatchOptions): DataSet {
  const out = new DataSet(parent);
  if (!keys) {
    for (const tag of item.tags()) copyElement(item, tag, out);
    return out;
  }
  for (const tag of keys.tags()) {
    const asked = keys.element(tag)!;
    if (asked.items && item.element(tag)?.items) {
      // A nested sequence key: its matching items with their requested keys (recursive).
      const nested = asked.items[0];
      const copy = new Element(tag, 'SQ', undefined, true);
      const wanted = nested && nested.size > 0 ? nested : undefined;
      copy.items = matchingItems(wanted, tag, item, options).map((i) => copyItem(i, out, wanted, options));
      out.add(copy);
    } else if (item.has(tag)) {
      copyElement(item, tag, out);
    } else {
      out.add(empty(tag, asked.vr));
    }
  }
  return out;
}

export interface ResponseSource {
  row: Record<string, unknown>;
  /** The representative header, loaded on demand; undefined when it cannot be read. */
  header(): DataSet | undefined;
}

export function buildResponse(plan: FindPlan, source: ResponseSource, retrieveAeTitle: string): DataSet {
  const response = new DataSet();
  // First, so every value set after it is encoded in UTF-8.
  response.set(SPECIFIC_CHARACTER_SET, 'ISO_IR 192');
  response.set(QUERY_RETRIEVE_LEVEL, plan.level);
  response.set(RETRIEVE_AE_TITLE, retrieveAeTitle === '' ? undefined : retrieveAeTitle);
  for (const field of plan.fields) fill(response, field, source, plan.options);
  return response;
}

function fill(response: DataSet, field: ResponseField, source: ResponseSource, options: MatchOptions): void {
  const { tag, vr } = field;
  switch (field.source) {
    case 'column': {
      const value = source.row[field.key];
      const text = value === null || value === undefined ? '' : String(value);
      if (text === '') response.add(empty(tag, vr));
      else if (field.attribute.kind === 'multi') response.set(tag, text.split('\\'), vr);
      else response.set(tag, text, vr);
      return;
    }
    case 'derived': {
      const value = source.row[field.key];
      const text = value === null || value === undefined ? '' : String(value);
      if (text === '') response.add(empty(tag, vr));
      else response.set(tag, field.derived.kind === 'list' ? text.split('\\') : text, vr);
      return;
    }
    case 'availability':
      response.set(tag, 'ONLINE', vr);
      return;
    case 'empty':
      response.add(empty(tag, vr));
      return;
    case 'sequence': {
      const header = source.header();
      const copy = new Element(tag, 'SQ', undefined, true);
      const keys = field.item && field.item.size > 0 ? field.item : undefined;
      // Matching items with only the requested keys; every item when the key has none (§C.2.2.2.6).
      const items = header ? matchingItems(keys, tag, header, options) : [];
      copy.items = items.map((item) => copyItem(item, response, keys, options));
      response.add(copy);
      return;
    }
    case 'header': {
      const header = source.header();
      if (header?.has(tag)) copyElement(header, tag, response);
      else response.add(empty(tag, vr));
      return;
    }
  }
}
