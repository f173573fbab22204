import type { Tag } from '../core/tag.ts';
import type { VR } from '../core/vr.ts';
import { PRIVATE } from './generated/private.ts';
import { vrList } from './vr-list.ts';

/** A private data element known for one private creator (PS3.5 §7.8). */
export interface PrivateEntry {
  /** The private creator as the dictionary spells it. */
  readonly creator: string;
  /** The tag with block 00: 0x00290010 for `0029xx10`. */
  readonly tag: Tag;
  /**
   * The bits of a tag that must equal `tag`'s: 0xFFFF00FF for the usual `ggggxxee` (any
   * block); a few entries fix every digit, or leave some of the group free (`60xxxx01`).
   */
  readonly mask: number;
  readonly vrs: readonly VR[];
  /** `vrs[0]`, undefined when the dictionary gives none. */
  readonly vr: VR | undefined;
  readonly vm: string;
  readonly name: string;
  readonly retired: boolean;
}

interface CreatorTable {
  /** Entries that fix every digit. */
  readonly exact: Map<number, PrivateEntry>;
  /** `ggggxxee` entries by `tag & 0xFFFF00FF`. */
  readonly block: Map<number, PrivateEntry>;
  /** Any other pattern, most specific first. */
  readonly patterns: PrivateEntry[];
}

/** Where each creator's lines start and end in PRIVATE; a creator's table is parsed on first use. */
let spans: Map<string, { start: number; end: number }> | undefined;
const creatorTables = new Map<string, CreatorTable>();

const STANDARD_MASK = 0xffff00ff;

function indexCreators(): Map<string, { start: number; end: number }> {
  const index = new Map<string, { start: number; end: number }>();
  let at = PRIVATE.startsWith('>') ? 0 : PRIVATE.indexOf('\n>');
  while (at >= 0) {
    if (PRIVATE[at] === '\n') at++;
    const nameEnd = PRIVATE.indexOf('\n', at);
    const next = PRIVATE.indexOf('\n>', nameEnd);
    const end = next < 0 ? PRIVATE.length : next;
    index.set(PRIVATE.slice(at + 1, nameEnd < 0 ? PRIVATE.length : nameEnd), {
      start: nameEnd < 0 ? end : nameEnd + 1,
      end,
    });
    at = next;
  }
  spans = index;
  return index;
}

function buildCreator(creator: string, span: { start: number; end: number }): CreatorTable {
  const table: CreatorTable = { exact: new Map(), block: new Map(), patterns: [] };
  for (const line of PRIVATE.slice(span.start, span.end).split('\n')) {
    if (line === '') continue;
    const f = line.split('|');
    const pattern = f[0]!;
    let mask = 0;
    let tag = 0;
    for (let i = 0; i < 8; i++) {
      const free = pattern[i] === 'x';
      mask = mask * 16 + (free ? 0 : 0xf);
      tag = tag * 16 + (free ? 0 : Number.parseInt(pattern[i]!, 16));
    }
    const vrs = vrList(f[1]!);
    const entry: PrivateEntry = {
      creator,
      tag,
      mask,
      vrs,
      vr: vrs[0],
      vm: f[2]!,
      name: f[3]!,
      retired: f[4] === 'R',
    };
    if (mask === 0xffffffff) table.exact.set(tag, entry);
    else if (mask === STANDARD_MASK) table.block.set(tag, entry);
    else table.patterns.push(entry);
  }
  table.patterns.sort((a, b) => b.mask - a.mask);
  return table;
}

/**
 * Trailing spaces pad LO values (PS3.5 §6.2) and some writers pad with NUL instead; leading
 * spaces are insignificant in LO too.
 */
function normalizeCreator(creator: string): string {
  const last = creator.charCodeAt(creator.length - 1);
  const first = creator.charCodeAt(0);
  if (last !== 0x20 && last !== 0 && first !== 0x20 && first !== 0) return creator;
  return creator.replace(/^[ \0]+|[ \0]+$/g, '');
}

/**
 * The dictionary entry of private data element `tag` (full tag, e.g. 0x00291010) in a block
 * reserved by `creator`: `0029xx10` matches whatever block the creator holds (PS3.5 §7.8.1).
 */
export function lookupPrivate(creator: string, tag: Tag): PrivateEntry | undefined {
  const table = creatorTable(creator);
  if (table === undefined) return undefined;
  const t = tag >>> 0;
  const entry = table.exact.get(t) ?? table.block.get((t & STANDARD_MASK) >>> 0);
  if (entry !== undefined) return entry;
  for (const p of table.patterns) if ((t & p.mask) >>> 0 === p.tag) return p;
  return undefined;
}

function creatorTable(creator: string): CreatorTable | undefined {
  // Keyed by the dictionary's spelling only, so the cache is bounded by the dictionary even
  // when untrusted files bring thousands of unknown creators.
  let table = creatorTables.get(creator);
  if (table !== undefined) return table;
  const name = normalizeCreator(creator);
  if (name !== creator) {
    table = creatorTables.get(name);
    if (table !== undefined) return table;
  }
  const span = (spans ?? indexCreators()).get(name);
  if (span === undefined) return undefined;
  table = buildCreator(name, span);
  creatorTables.set(name, table);
  return table;
}

/** Every private creator the dictionary knows, in code-unit order. */
export function privateCreators(): readonly string[] {
  return [...(spans ?? indexCreators()).keys()];
}
