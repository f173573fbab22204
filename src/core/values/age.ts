import { invalidValue, trimPadding } from './internal.ts';

/**
 * AS, Age String (PS3.5 Table 6.2-1): "nnnD, nnnW, nnnM, nnnY; where nnn shall contain the
 * number of days for D, weeks for W, months for M, or years for Y", always 4 characters,
 * e.g. '018M' is 18 months.
 */

export type AgeUnit = 'D' | 'W' | 'M' | 'Y';

export interface Age {
  /** 0-999 */
  value: number;
  unit: AgeUnit;
}

const AS_PATTERN = /^([0-9]{3})([DWMY])$/;

/** Throws ERR_INVALID_VALUE for anything but three digits and D, W, M or Y (padding aside). */
export function parseAge(text: string): Age {
  const m = AS_PATTERN.exec(trimPadding(text));
  if (!m)
    throw invalidValue('AS', text, "expected nnnD, nnnW, nnnM or nnnY, e.g. '045Y' (PS3.5 Table 6.2-1)");
  return { value: Number(m[1]), unit: m[2] as AgeUnit };
}

export function tryParseAge(text: string): Age | undefined {
  const m = AS_PATTERN.exec(trimPadding(text));
  return m ? { value: Number(m[1]), unit: m[2] as AgeUnit } : undefined;
}

export function formatAge(age: Age): string {
  if (!Number.isInteger(age.value) || age.value < 0 || age.value > 999) {
    throw invalidValue('AS', String(age.value), 'the number must be an integer 0-999');
  }
  if (!/^[DWMY]$/.test(age.unit)) throw invalidValue('AS', String(age.unit), 'the unit must be D, W, M or Y');
  return String(age.value).padStart(3, '0') + age.unit;
}

const DAYS_PER_UNIT: Record<AgeUnit, number> = { D: 1, W: 7, M: 365.25 / 12, Y: 365.25 };

/**
 * Approximate length in days, to compare or sort ages given in different units ('018M' vs
 * '001Y'): months and years are mean Gregorian lengths, as an AS carries no calendar.
 */
export function ageToDays(age: Age): number {
  return age.value * DAYS_PER_UNIT[age.unit];
}
