import type { DicomJsonPersonName } from './types.ts';

/**
 * A PN value's three component groups (PS3.5 §6.2.1.1: alphabetic, ideographic, phonetic,
 * separated by '=') as the object PS3.18 §F.2.2 puts in "Value", and back. Kept local to the
 * JSON layer until the core PersonName type lands; only the group split is needed here.
 */

/** The object of one PN value with its non-empty groups; null when every group is empty (§F.2.5). */
export function personNameToJson(value: string): DicomJsonPersonName | null {
  if (value.length === 0) return null;
  const first = value.indexOf('=');
  if (first < 0) return { Alphabetic: value };
  const second = value.indexOf('=', first + 1);
  const alphabetic = value.slice(0, first);
  // More than two '=' is malformed; the rest stays in the phonetic group rather than being lost.
  const ideographic = second < 0 ? value.slice(first + 1) : value.slice(first + 1, second);
  const phonetic = second < 0 ? '' : value.slice(second + 1);
  const name: DicomJsonPersonName = {};
  if (alphabetic.length > 0) name.Alphabetic = alphabetic;
  if (ideographic.length > 0) name.Ideographic = ideographic;
  if (phonetic.length > 0) name.Phonetic = phonetic;
  return alphabetic.length + ideographic.length + phonetic.length === 0 ? null : name;
}

const GROUPS = ['Alphabetic', 'Ideographic', 'Phonetic'] as const;

/**
 * The PN value text of a JSON name object, trailing empty groups dropped (PS3.5 §6.2.1.1).
 * Returns an error message instead of throwing so the caller can add the key path.
 */
export function personNameFromJson(name: object): string | { error: string } {
  for (const key of Object.keys(name)) {
    if (!(GROUPS as readonly string[]).includes(key)) {
      return { error: `unknown person name group '${key}' (Alphabetic, Ideographic or Phonetic)` };
    }
  }
  const record = name as Record<string, unknown>;
  const groups: string[] = [];
  for (const key of GROUPS) {
    const group = record[key];
    if (group === undefined || group === null) {
      groups.push('');
      continue;
    }
    if (typeof group !== 'string') return { error: `person name group ${key} must be a string` };
    if (group.includes('=') || group.includes('\\')) {
      return { error: `person name group ${key} may not hold '=' or '\\'` };
    }
    groups.push(group);
  }
  let count = 3;
  while (count > 0 && groups[count - 1] === '') count--;
  return count === 0 ? '' : count === 1 ? groups[0]! : groups.slice(0, count).join('=');
}
