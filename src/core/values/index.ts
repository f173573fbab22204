/** DICOM value types (PS3.5 §6.2): PN, DA/TM/DT and their query ranges, IS/DS, AS, AT. */
export * from './age.ts';
export * from './attribute-tag.ts';
export * from './date-time.ts';
export * from './numbers.ts';
export * from './person-name.ts';
