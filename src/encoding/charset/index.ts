/**
 * Specific Character Set (0008,0005): decoding and encoding of text values per PS3.3
 * §C.12.1.1.2 and PS3.5 §6.1. Isomorphic: uses only TextDecoder/TextEncoder and typed arrays.
 */
export { DEFAULT_CHARACTER_SET, SpecificCharacterSet } from './specific-character-set.ts';
