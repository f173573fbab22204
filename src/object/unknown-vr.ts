import { isPrivateTag, type Tag } from '../core/tag.ts';
import type { VR } from '../core/vr.ts';
import { lookupPrivate, lookupTag } from '../dictionary/index.ts';
import type { DataSet } from './dataset.ts';
import { readDataSet } from './part10.ts';

const IMPLICIT_LE = '1.2.840.10008.1.2';

/**
 * Gives UN elements of tags the dictionary knows their real VR, as DCMTK's `+uc`
 * (--convert-un) does: standard tags by the data dictionary, private ones by their creator's
 * entry. A UN value holds the element's value as its own VR encodes it, in the transfer
 * syntax's byte order (PS3.5 §6.2.2), so the bytes stay and only the VR changes; a sequence's
 * value is items in Implicit VR Little Endian (PS3.5 §6.2.2 and CP-246), read as such. A UN
 * of undefined length, already read as items, becomes SQ when its tag is one. Where the
 * dictionary offers two VRs ("US or SS", "OB or OW") the first is taken. Items are converted
 * too. Returns how many elements changed.
 */
export function convertUnknownVrs(dataset: DataSet): number {
  let converted = 0;
  for (const tag of dataset.tags()) {
    const element = dataset.element(tag)!;
    if (element.vr === 'UN') {
      const vr = dictionaryVr(dataset, tag);
      let items = element.items;
      if (vr === 'SQ' && !items) {
        items = itemsOf(tag, element.bytes ?? new Uint8Array(0));
        if (items) {
          element.items = items;
          element.bytes = undefined;
          element.undefinedLength = false;
        }
      }
      // A UN read as items stays UN unless its tag is a sequence; one whose value did not read
      // as items stays UN with its bytes.
      if (vr !== undefined && (vr === 'SQ') === (items !== undefined)) {
        element.vr = vr;
        element.cache = undefined;
        converted++;
      }
    }
    for (const item of element.items ?? []) converted += convertUnknownVrs(item);
  }
  return converted;
}

function dictionaryVr(dataset: DataSet, tag: Tag): VR | undefined {
  let vr: VR | undefined;
  if (isPrivateTag(tag)) {
    const creator = dataset.privateCreatorOf(tag);
    vr = creator === undefined ? undefined : lookupPrivate(creator, tag)?.vr;
  } else {
    vr = lookupTag(tag)?.vr;
  }
  return vr === 'UN' ? undefined : vr;
}

/**
 * The items of a sequence held as a UN value: Implicit VR Little Endian, whatever the syntax.
 * Undefined when they do not read as items (a private tag's sequence is known by its creator,
 * which the items alone do not carry).
 */
function itemsOf(tag: Tag, value: Uint8Array): DataSet[] | undefined {
  const element = new Uint8Array(8 + value.length);
  const view = new DataView(element.buffer);
  view.setUint16(0, tag >>> 16, true);
  view.setUint16(2, tag & 0xffff, true);
  view.setUint32(4, value.length, true);
  element.set(value, 8);
  try {
    return readDataSet(element, IMPLICIT_LE).sequence(tag);
  } catch {
    return undefined;
  }
}
