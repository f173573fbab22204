/**
 * DICOM Upper Layer state machine (PS3.8 §9.2): states, events, actions, Table 9-10 and a pure
 * step function. The association layer runs it and carries out the effects.
 */
export * from './definitions.ts';
export * from './machine.ts';
export * from './table.ts';
