import type { VR } from '../core/vr.ts';

/**
 * The DICOM JSON Model (PS3.18 §F.2): a data set is an object keyed by 8 upper-case hex digits
 * of the tag, each attribute an object with its VR and at most one of Value, InlineBinary,
 * BulkDataURI (§F.2.2).
 */
export type DicomJsonObject = Record<string, DicomJsonElement>;

/** One attribute (§F.2.2). None of Value, InlineBinary, BulkDataURI when it is empty (§F.2.5). */
export interface DicomJsonElement {
  vr: VR;
  Value?: DicomJsonValue[];
  /** Base64 of the value bytes, little endian (§F.2.7). */
  InlineBinary?: string;
  /** Where the value bytes can be fetched (§F.2.6). */
  BulkDataURI?: string;
}

/**
 * One entry of "Value" (§F.2.3, Table F.2.3-1): strings for text VRs and AT ('GGGGEEEE'),
 * numbers for binary numbers, IS and DS (or strings, §F.2.3.1), name objects for PN, data
 * sets for SQ items; null for an empty value of a multi-valued attribute (§F.2.5).
 */
export type DicomJsonValue = string | number | DicomJsonPersonName | DicomJsonObject | null;

/** A PN value: its non-empty component groups (§F.2.2). */
export interface DicomJsonPersonName {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}
