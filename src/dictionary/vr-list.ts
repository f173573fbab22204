import { isVR, type VR } from '../core/vr.ts';

const LISTS = new Map<string, readonly VR[]>();
const NONE: readonly VR[] = Object.freeze([]);

/**
 * The VRs of a packed `vrs` field: `US/SS` for "US or SS" (PS3.6 §6), empty for items and
 * delimiters. The few dozen distinct lists are shared and frozen, so thousands of entries
 * hold no arrays of their own and no caller can change another's.
 */
export function vrList(field: string): readonly VR[] {
  if (field === '') return NONE;
  let list = LISTS.get(field);
  if (list === undefined) {
    const vrs = field.split('/').filter(isVR);
    list = Object.freeze(vrs);
    LISTS.set(field, list);
  }
  return list;
}
