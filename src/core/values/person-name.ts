import { invalidValue } from './internal.ts';

/**
 * PN, Person Name (PS3.5 §6.2.1).
 *
 * A value holds up to three component groups separated by '=': alphabetic (single-byte),
 * ideographic and phonetic (PS3.5 §6.2.1, Annexes H, I, J). Each group holds up to five
 * components separated by '^': family name, given name, middle name, name prefix, name suffix.
 * "Delimiters are required for interior null component groups. Trailing null component
 * groups and their delimiters may be omitted", and likewise for trailing null components
 * (PS3.5 Table 6.2-1, §6.2.1.1). PersonName always omits them, so `toString()` is the
 * canonical form and two equal names compare equal as strings.
 *
 * The 64-character limit per component group (PS3.5 Table 6.2-1) is not enforced: names
 * longer than that exist in real files and must survive a read-modify-write.
 */

export type PersonNameGroup = 'alphabetic' | 'ideographic' | 'phonetic';

export interface PersonNameComponents {
  familyName: string;
  givenName: string;
  middleName: string;
  namePrefix: string;
  nameSuffix: string;
}

/**
 * A PN value in DICOM JSON (PS3.18 §F.2.2): an object keyed by component group, each key
 * absent when its group is empty.
 */
export interface PersonNameJson {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** Per group, any subset of the components; the others are empty. */
export type PersonNameInput = Partial<Record<PersonNameGroup, Partial<PersonNameComponents>>>;

const GROUP_INDEX: Record<PersonNameGroup, number> = { alphabetic: 0, ideographic: 1, phonetic: 2 };
const COMPONENT_KEYS = ['familyName', 'givenName', 'middleName', 'namePrefix', 'nameSuffix'] as const;
const MAX_GROUPS = 3;
const MAX_COMPONENTS = 5;

export class PersonName {
  /** The three groups, each already without trailing '^' delimiters. */
  readonly #groups: readonly [string, string, string];

  private constructor(groups: readonly [string, string, string]) {
    this.#groups = groups;
  }

  /**
   * Parses one PN value (one value of a multi-valued element: split on '\' first).
   * Trailing padding is removed; leading spaces and spaces inside components are kept,
   * since they may belong to the name. Throws ERR_INVALID_VALUE on more than three groups,
   * more than five components in a group, or a backslash.
   */
  static parse(text: string): PersonName {
    const value = text.replace(/[ \0]+$/, '');
    if (value.includes('\\')) {
      // 5CH is the value delimiter and excluded from PN's repertoire (PS3.5 Table 6.2-1).
      throw invalidValue('PN', text, 'contains a backslash; split multiple values first');
    }
    // As for components, surplus trailing '=' carry no data and are dropped before counting.
    const parts = stripTrailing(value, '=').split('=');
    if (parts.length > MAX_GROUPS) {
      throw invalidValue(
        'PN',
        text,
        `has ${parts.length} component groups, at most 3 allowed (PS3.5 §6.2.1)`,
      );
    }
    return new PersonName([
      normaliseGroup(text, parts[0] ?? ''),
      normaliseGroup(text, parts[1] ?? ''),
      normaliseGroup(text, parts[2] ?? ''),
    ]);
  }

  /** Like `parse`, but undefined instead of an error. */
  static tryParse(text: string): PersonName | undefined {
    try {
      return PersonName.parse(text);
    } catch {
      return undefined;
    }
  }

  /** From DICOM JSON (PS3.18 §F.2.2); missing and empty keys are empty groups. */
  static fromGroups(groups: PersonNameJson): PersonName {
    const check = (group: string | undefined): string => {
      const g = group ?? '';
      if (g.includes('=') || g.includes('\\')) {
        throw invalidValue('PN', g, "a component group cannot contain '=' or '\\'");
      }
      return normaliseGroup(g, g);
    };
    return new PersonName([check(groups.Alphabetic), check(groups.Ideographic), check(groups.Phonetic)]);
  }

  /** From components; each component must not contain a delimiter ('^', '=', '\'). */
  static fromComponents(input: PersonNameInput): PersonName {
    const build = (components: Partial<PersonNameComponents> | undefined): string => {
      const values = COMPONENT_KEYS.map((key) => components?.[key] ?? '');
      for (const v of values) {
        if (/[\^=\\]/.test(v)) throw invalidValue('PN', v, "a component cannot contain '^', '=' or '\\'");
      }
      return stripTrailing(values.join('^'), '^');
    };
    return new PersonName([build(input.alphabetic), build(input.ideographic), build(input.phonetic)]);
  }

  /** The alphabetic (single-byte) component group, e.g. 'Yamada^Tarou'; '' when absent. */
  get alphabetic(): string {
    return this.#groups[0];
  }

  /** The ideographic component group, e.g. '山田^太郎'; '' when absent. */
  get ideographic(): string {
    return this.#groups[1];
  }

  /** The phonetic component group, e.g. 'やまだ^たろう'; '' when absent. */
  get phonetic(): string {
    return this.#groups[2];
  }

  /** True when every group is empty (the value was '' or only delimiters). */
  get isEmpty(): boolean {
    return this.#groups[0] === '' && this.#groups[1] === '' && this.#groups[2] === '';
  }

  group(group: PersonNameGroup): string {
    return this.#groups[GROUP_INDEX[group]];
  }

  /** The five components of one group, '' for each one absent. */
  components(group: PersonNameGroup = 'alphabetic'): PersonNameComponents {
    const parts = this.#groups[GROUP_INDEX[group]].split('^');
    return {
      familyName: parts[0] ?? '',
      givenName: parts[1] ?? '',
      middleName: parts[2] ?? '',
      namePrefix: parts[3] ?? '',
      nameSuffix: parts[4] ?? '',
    };
  }

  /** The canonical PN string: trailing empty components and groups and their delimiters omitted. */
  toString(): string {
    return stripTrailing(this.#groups.join('='), '=');
  }

  /** DICOM JSON form (PS3.18 §F.2.2): only the non-empty groups are present. */
  toGroups(): PersonNameJson {
    const json: PersonNameJson = {};
    if (this.#groups[0] !== '') json.Alphabetic = this.#groups[0];
    if (this.#groups[1] !== '') json.Ideographic = this.#groups[1];
    if (this.#groups[2] !== '') json.Phonetic = this.#groups[2];
    return json;
  }

  /** Same as `toGroups()`, so JSON.stringify(personName) gives the DICOM JSON object. */
  toJSON(): PersonNameJson {
    return this.toGroups();
  }

  equals(other: PersonName): boolean {
    return (
      this.#groups[0] === other.#groups[0] &&
      this.#groups[1] === other.#groups[1] &&
      this.#groups[2] === other.#groups[2]
    );
  }
}

function normaliseGroup(text: string, group: string): string {
  // Surplus trailing delimiters carry no data, so they are dropped before counting; a sixth
  // non-empty component would be lost data, so that is an error (PS3.5 §6.2.1.1: "no more
  // than four component delimiters").
  const stripped = stripTrailing(group, '^');
  let count = 0;
  for (let i = 0; i < stripped.length; i++) if (stripped.charCodeAt(i) === 0x5e) count++;
  if (count >= MAX_COMPONENTS) {
    throw invalidValue(
      'PN',
      text,
      `has a group of ${count + 1} components, at most 5 allowed (PS3.5 §6.2.1)`,
    );
  }
  return stripped;
}

function stripTrailing(text: string, delimiter: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === delimiter) end--;
  return text.slice(0, end);
}
