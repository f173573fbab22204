import { DicomError } from '../core/errors.ts';
import { isPrivateCreatorTag, isPrivateTag, type Tag } from '../core/tag.ts';
import type { VR } from '../core/vr.ts';
import { ELEMENTS } from './generated/elements.ts';
import type { Keyword } from './generated/keywords.ts';
import { vrList } from './vr-list.ts';

export type { Keyword, KeywordInfo } from './generated/keywords.ts';

/** One entry of the registry of data elements (PS3.6 §6, Table 6-1). */
export interface ElementEntry {
  /** The tag; for a repeating entry its first member, e.g. 0x60003000 for (60xx,3000). */
  readonly tag: Tag;
  /** `['US', 'SS']` for "US or SS"; `[]` for items and delimiters (VR NONE). */
  readonly vrs: readonly VR[];
  /** `vrs[0]`, or undefined when the dictionary has no VR; no `UN` is substituted. */
  readonly vr: VR | undefined;
  /** Value multiplicity as PS3.6 writes it: `1`, `1-n`, `2-2n`... */
  readonly vm: string;
  readonly name: string;
  /** Empty for the few retired elements PS3.6 gives no keyword. */
  readonly keyword: string;
  readonly retired: boolean;
  /** For repeating groups and elements (PS3.5 §7.6): matches when `(tag & mask) >>> 0 === value`. */
  readonly repeating?: { readonly mask: number; readonly value: number };
}

/**
 * The packed table split into lines, indexed by tag. Entry objects are made on first request
 * of each line: a parse touches a few hundred distinct tags, so building all ~5,000 up front
 * would triple the cost of the first lookup for nothing.
 */
interface Tables {
  readonly lines: readonly string[];
  readonly entries: (ElementEntry | undefined)[];
  /** Exact tags to their line. */
  readonly byTag: Map<number, number>;
  /** Repeating entries by the top byte of their group (no group pattern frees it), most specific first. */
  readonly repeating: Map<number, ElementEntry[]>;
}

let tables: Tables | undefined;
let byKeyword: Map<string, number> | undefined;

function build(): Tables {
  const lines = ELEMENTS.split('\n');
  const entries = new Array<ElementEntry | undefined>(lines.length).fill(undefined);
  const byTag = new Map<number, number>();
  const repeating = new Map<number, ElementEntry[]>();
  const t: Tables = { lines, entries, byTag, repeating };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const tag = Number.parseInt(line.slice(0, 8), 16);
    // Exact lines start `gggggggg|`, repeating ones `tag/value/mask|` (see generated/elements.ts).
    if (line.charCodeAt(8) === 0x7c) {
      byTag.set(tag, i);
    } else {
      const entry = entryAt(t, i);
      const bucket = repeating.get(tag >>> 24);
      if (bucket === undefined) repeating.set(tag >>> 24, [entry]);
      else bucket.push(entry);
    }
  }
  for (const bucket of repeating.values()) {
    bucket.sort((a, b) => bitCount(b.repeating!.mask) - bitCount(a.repeating!.mask));
  }
  tables = t;
  return t;
}

function entryAt(t: Tables, index: number): ElementEntry {
  let entry = t.entries[index];
  if (entry !== undefined) return entry;
  // tag|keyword|vrs|vm|name|retired
  const f = t.lines[index]!.split('|');
  const tagField = f[0]!;
  const vrs = vrList(f[2]!);
  const repeating =
    tagField.length === 8
      ? undefined
      : {
          mask: Number.parseInt(tagField.slice(18, 26), 16),
          value: Number.parseInt(tagField.slice(9, 17), 16),
        };
  // Always the same properties in the same order: one hidden class, so property reads in
  // the parser's hot loop stay monomorphic.
  entry = {
    tag: Number.parseInt(tagField.slice(0, 8), 16),
    vrs,
    vr: vrs[0],
    vm: f[3]!,
    name: f[4]!,
    keyword: f[1]!,
    retired: f[5] === 'R',
    repeating,
  };
  t.entries[index] = entry;
  return entry;
}

function bitCount(n: number): number {
  let count = 0;
  for (let m = n >>> 0; m !== 0; m >>>= 1) count += m & 1;
  return count;
}

/** Group length (gggg,0000) of a group without an entry of its own: UL, VM 1 (PS3.5 §7.2). */
function groupLength(tag: Tag): ElementEntry {
  return {
    tag,
    vrs: vrList('UL'),
    vr: 'UL',
    vm: '1',
    name: 'Group Length',
    keyword: 'GroupLength',
    retired: false,
    repeating: undefined,
  };
}

/** (gggg,0010-00FF) of an odd group reserves a block for a private creator, LO (PS3.5 §7.8.1). */
function privateCreator(tag: Tag): ElementEntry {
  return {
    tag,
    vrs: vrList('LO'),
    vr: 'LO',
    vm: '1',
    name: 'Private Creator',
    keyword: 'PrivateCreator',
    retired: false,
    repeating: undefined,
  };
}

/**
 * The dictionary entry of a tag: an exact entry first; then group length (gggg,0000) of any
 * group and private creator (gggg,0010-00FF) of an odd group, as entries made for this tag;
 * then the repeating groups and elements (50xx, 60xx, 7Fxx, (0020,31xx), (1000,xxx0)...).
 * Private data elements need their creator: see lookupPrivate().
 */
export function lookupTag(tag: Tag): ElementEntry | undefined {
  const t = tables ?? build();
  const index = t.byTag.get(tag);
  if (index === undefined) return lookupUnlisted(tag, t);
  return t.entries[index] ?? entryAt(t, index);
}

function lookupUnlisted(tag: Tag, t: Tables): ElementEntry | undefined {
  if (tag < 0) {
    // A signed 32-bit tag from `(group << 16) | element` with group >= 0x8000.
    tag = tag >>> 0;
    const index = t.byTag.get(tag);
    if (index !== undefined) return entryAt(t, index);
  }
  if (tag > 0xffffffff || !Number.isInteger(tag)) return undefined;
  const group = tag >>> 16;
  if ((tag & 0xffff) === 0 && group !== 0xfffe) return groupLength(tag);
  if (isPrivateTag(tag)) return isPrivateCreatorTag(tag) ? privateCreator(tag) : undefined;
  const bucket = t.repeating.get(tag >>> 24);
  if (bucket !== undefined) {
    for (const entry of bucket) {
      const r = entry.repeating!;
      if ((tag & r.mask) >>> 0 === r.value) return entry;
    }
  }
  return undefined;
}

/** The entry of a keyword (`PatientName`), case-sensitive as PS3.6 spells it. */
export function lookupKeyword(keyword: string): ElementEntry | undefined {
  const t = tables ?? build();
  if (byKeyword === undefined) {
    byKeyword = new Map();
    for (let i = 0; i < t.lines.length; i++) {
      const line = t.lines[i]!;
      const start = line.indexOf('|') + 1;
      const end = line.indexOf('|', start);
      if (end > start) byKeyword.set(line.slice(start, end), i);
    }
  }
  const index = byKeyword.get(keyword);
  return index === undefined ? undefined : entryAt(t, index);
}

/**
 * The tag of a keyword; for a repeating entry its first member ((60xx,3000) OverlayData gives
 * 0x60003000). Throws ERR_UNKNOWN_KEYWORD, with a suggestion when only the case is wrong.
 */
export function tagOf(keyword: Keyword | (string & Record<never, never>)): Tag {
  const entry = lookupKeyword(keyword);
  if (entry !== undefined) return entry.tag;
  const lower = keyword.toLowerCase();
  const near = elementEntries().find((e) => e.keyword.toLowerCase() === lower);
  const hint = near === undefined ? '' : ` (did you mean '${near.keyword}'?)`;
  throw new DicomError('ERR_UNKNOWN_KEYWORD', `unknown data element keyword '${keyword}'${hint}`);
}

/** The keyword of a tag, or undefined when the dictionary has none for it. */
export function keywordOf(tag: Tag): string | undefined {
  const keyword = lookupTag(tag)?.keyword;
  return keyword === '' ? undefined : keyword;
}

/** Every entry of the registry in tag order, repeating entries at their first member. */
export function elementEntries(): readonly ElementEntry[] {
  const t = tables ?? build();
  return t.lines.map((_, i) => entryAt(t, i));
}
