import { DicomError } from '../core/errors.ts';
import { isPrivateTag, makeTag, SPECIFIC_CHARACTER_SET, type Tag } from '../core/tag.ts';
import { type VR, vrInfo } from '../core/vr.ts';
import { type Keyword, type KeywordInfo, lookupTag, tagOf } from '../dictionary/index.ts';
import { DEFAULT_CHARACTER_SET, SpecificCharacterSet } from '../encoding/charset/index.ts';
import { swapped } from './byte-swap.ts';
import { Element } from './element.ts';
import { decodeValue, encodeValue, type Value } from './values.ts';

/** A tag number or a dictionary keyword. */
export type TagKey = Tag | Keyword;

/** The JavaScript type of one value of a VR. */
export type ValueOfVR<V extends VR> = V extends 'SQ'
  ? DataSet[]
  : V extends 'OB' | 'OW' | 'OD' | 'OF' | 'OL' | 'OV' | 'UN'
    ? Uint8Array
    : V extends 'SV' | 'UV'
      ? bigint
      : V extends 'US' | 'SS' | 'UL' | 'SL' | 'FL' | 'FD' | 'IS' | 'DS' | 'AT'
        ? number
        : string;

/**
 * What `get(keyword)` returns: one value for VM 1 in the dictionary, an array otherwise;
 * sequences are arrays of items and bytes one Uint8Array whatever the VM.
 */
export type ValueOf<K extends Keyword> = KeywordInfo[K]['vr'] extends 'SQ'
  ? DataSet[]
  : ValueOfVR<KeywordInfo[K]['vr']> extends Uint8Array
    ? Uint8Array
    : KeywordInfo[K]['vm'] extends '1'
      ? ValueOfVR<KeywordInfo[K]['vr']>
      : ValueOfVR<KeywordInfo[K]['vr']>[];

export function resolveTag(key: TagKey): Tag {
  return typeof key === 'number' ? key : tagOf(key);
}

/** What `set()` accepts; strings and numbers may be given one or many. */
export type SetValue = Value | string | number | bigint;

/**
 * A DICOM data set or sequence item: elements by tag, kept in tag order. Values are decoded
 * on first access from the bytes they were read from, with this data set's Specific
 * Character Set, or the enclosing one's for items that declare none (PS3.5 §6.1.2.3).
 */
export class DataSet {
  readonly #elements = new Map<Tag, Element>();
  #sorted = true;
  #lastTag = -1;
  #charset: SpecificCharacterSet | undefined;
  /** The data set enclosing this item, for character set inheritance. */
  parent: DataSet | undefined;
  /** Encode this item with undefined length (it was read so, or asked so). */
  undefinedLength = false;
  /** The item's length field as read, when defined (dumps show it). */
  readLength: number | undefined;
  /** Where the item's tag was read, from the start of the file (DICOMDIR records are found by it). */
  readOffset: number | undefined;

  constructor(parent?: DataSet) {
    this.parent = parent;
  }

  get size(): number {
    return this.#elements.size;
  }

  /** Adds a parsed element at the end; used by readers, which mostly add in tag order. */
  add(element: Element): void {
    const tag = element.tag;
    if (tag <= this.#lastTag) this.#sorted = false;
    else this.#lastTag = tag;
    this.#elements.set(tag, element);
    if (tag === SPECIFIC_CHARACTER_SET) this.#charset = undefined;
  }

  element(key: TagKey): Element | undefined {
    return this.#elements.get(resolveTag(key));
  }

  has(key: TagKey): boolean {
    return this.#elements.has(resolveTag(key));
  }

  delete(key: TagKey): boolean {
    const tag = resolveTag(key);
    if (tag === SPECIFIC_CHARACTER_SET) this.#charset = undefined;
    return this.#elements.delete(tag);
  }

  /** Elements in ascending tag order. */
  *elements(): IterableIterator<Element> {
    if (!this.#sorted) this.#sort();
    yield* this.#elements.values();
  }

  [Symbol.iterator](): IterableIterator<Element> {
    return this.elements();
  }

  tags(): Tag[] {
    if (!this.#sorted) this.#sort();
    return [...this.#elements.keys()];
  }

  #sort(): void {
    const entries = [...this.#elements.entries()].sort((a, b) => a[0] - b[0]);
    this.#elements.clear();
    for (const [tag, element] of entries) this.#elements.set(tag, element);
    this.#sorted = true;
    this.#lastTag = entries.length > 0 ? entries[entries.length - 1]![0] : -1;
  }

  /** The character set values of this data set are decoded with. */
  get characterSet(): SpecificCharacterSet {
    if (this.#charset) return this.#charset;
    const own = this.#elements.get(SPECIFIC_CHARACTER_SET);
    if (own) {
      const terms = decodeValue(own, DEFAULT_CHARACTER_SET) as string[];
      this.#charset = SpecificCharacterSet.from(terms.map((t) => t.trim()));
    } else {
      this.#charset = this.parent ? this.parent.characterSet : DEFAULT_CHARACTER_SET;
    }
    return this.#charset;
  }

  /** All values of an element, decoded: strings, numbers, bigints, bytes or items. */
  values(key: TagKey): Value | undefined {
    const element = this.#elements.get(resolveTag(key));
    if (!element) return undefined;
    return decodeValue(element, this.characterSet);
  }

  /**
   * The value of a dictionary keyword, typed from the dictionary: single for VM 1, an array
   * otherwise. With a tag number, the untyped decoded values.
   */
  get<K extends Keyword>(key: K): ValueOf<K> | undefined;
  get(key: Tag): Value | undefined;
  get(key: TagKey): unknown {
    const tag = resolveTag(key);
    const element = this.#elements.get(tag);
    if (!element) return undefined;
    const value = decodeValue(element, this.characterSet);
    if (typeof key === 'number' || !Array.isArray(value)) return value;
    if (element.items) return value;
    const entry = lookupTag(tag);
    return entry?.vm === '1' ? value[0] : value;
  }

  /** First value as a string (numbers formatted), or undefined when absent or empty. */
  string(key: TagKey): string | undefined {
    const all = this.strings(key);
    return all === undefined ? undefined : all[0];
  }

  /** Every value as a string; undefined when the element is absent. */
  strings(key: TagKey): string[] | undefined {
    const value = this.values(key);
    if (value === undefined) return undefined;
    if (value instanceof Uint8Array) return [...value].map(String);
    if (!Array.isArray(value)) return [];
    return value.map((v) => (typeof v === 'object' ? '' : String(v)));
  }

  number(key: TagKey): number | undefined {
    return this.numbers(key)?.[0];
  }

  /** Every value as a number (IS and DS parsed); undefined when absent. */
  numbers(key: TagKey): number[] | undefined {
    const value = this.values(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return [];
    return value.map((v) =>
      typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(String(v).trim()),
    );
  }

  /** Items of a sequence; undefined when absent or not a sequence. */
  sequence(key: TagKey): DataSet[] | undefined {
    return this.#elements.get(resolveTag(key))?.items;
  }

  /** The value bytes, little endian for binary VRs, padding included. */
  bytes(key: TagKey): Uint8Array | undefined {
    const element = this.#elements.get(resolveTag(key));
    if (!element?.bytes) return undefined;
    return element.littleEndian ? element.bytes : swapped(element.bytes, vrInfo(element.vr).unitSize);
  }

  /**
   * Sets an element. The VR comes from the dictionary unless given (private and unknown
   * tags need one; multi-VR entries take the first); the value is encoded at once with
   * this data set's character set.
   */
  set(key: TagKey, value: SetValue | undefined, vr?: VR): Element {
    const tag = resolveTag(key);
    const chosen = vr ?? defaultVR(tag, this);
    const element = new Element(tag, chosen, undefined, true);
    if (chosen === 'SQ') {
      const items = value === undefined ? [] : (value as DataSet[]);
      for (const item of items) item.parent = this;
      element.items = items;
    } else if (value !== undefined) {
      const normalised: Value =
        Array.isArray(value) || value instanceof Uint8Array
          ? (value as Value)
          : typeof value === 'bigint'
            ? [value]
            : typeof value === 'number'
              ? [value]
              : [value];
      const charset = tag === SPECIFIC_CHARACTER_SET ? DEFAULT_CHARACTER_SET : this.characterSet;
      element.bytes = encodeValue(chosen, normalised, charset);
    } else {
      element.bytes = new Uint8Array(0);
    }
    this.add(element);
    return element;
  }

  /**
   * The tag of element `offset` (0x00-0xFF) in the private block of `creator` in `group`
   * (PS3.5 §7.8.1). With `create`, reserves the first free block when the creator has none.
   */
  privateTag(
    group: number,
    creator: string,
    offset: number,
    options: { create?: boolean } = {},
  ): Tag | undefined {
    if ((group & 1) === 0 || group <= 8) {
      throw new DicomError('ERR_INVALID_TAG', `group ${group.toString(16)} is not a private group`);
    }
    if (offset < 0 || offset > 0xff)
      throw new DicomError('ERR_INVALID_TAG', `private element offset ${offset} out of range`);
    const block = this.privateBlock(group, creator, options);
    return block === undefined ? undefined : makeTag(group, (block << 8) | offset);
  }

  /** The block number (0x10-0xFF) reserved by `creator` in `group`, reserving one if asked. */
  privateBlock(group: number, creator: string, options: { create?: boolean } = {}): number | undefined {
    const wanted = creator.trim();
    let free: number | undefined;
    for (let block = 0x10; block <= 0xff; block++) {
      const tag = makeTag(group, block);
      if (!this.#elements.has(tag)) {
        free ??= block;
        continue;
      }
      if (this.string(tag)?.trim() === wanted) return block;
    }
    if (!options.create) return undefined;
    if (free === undefined)
      throw new DicomError('ERR_INVALID_TAG', `no free private block in group ${group.toString(16)}`);
    this.set(makeTag(group, free), wanted, 'LO');
    return free;
  }

  /** The private creator owning a private tag, or undefined. */
  privateCreatorOf(tag: Tag): string | undefined {
    if (!isPrivateTag(tag)) return undefined;
    const block = (tag & 0xffff) >>> 8;
    if (block < 0x10) return undefined;
    return this.string(makeTag(tag >>> 16, block))?.trim();
  }

  /** A deep copy; values share no memory with this data set. */
  clone(parent?: DataSet): DataSet {
    const copy = new DataSet(parent);
    copy.undefinedLength = this.undefinedLength;
    for (const element of this.elements()) {
      const e = new Element(element.tag, element.vr, element.bytes?.slice(), element.littleEndian);
      e.undefinedLength = element.undefinedLength;
      e.bulk = element.bulk;
      if (element.items) e.items = element.items.map((item) => item.clone(copy));
      if (element.fragments)
        e.fragments = element.fragments.map((f) => (f instanceof Uint8Array ? f.slice() : f));
      copy.add(e);
    }
    return copy;
  }
}

function defaultVR(tag: Tag, ds: DataSet): VR {
  if ((tag & 0xffff) === 0) return 'UL';
  if (isPrivateTag(tag)) {
    if ((tag & 0xffff) < 0x100) return 'LO';
    throw new DicomError(
      'ERR_INVALID_VR',
      `a VR is needed to set private element ${tag.toString(16).padStart(8, '0')}`,
    );
  }
  const entry = lookupTag(tag);
  if (!entry?.vr) {
    throw new DicomError(
      'ERR_INVALID_VR',
      `a VR is needed to set unknown element ${tag.toString(16).padStart(8, '0')}`,
    );
  }
  if (entry.vrs.length > 1 && entry.vrs.includes('SS') && ds.number(0x00280103) === 1) return 'SS';
  return entry.vr;
}
