import { DicomError } from '../core/errors.ts';
import {
  isPrivateCreatorTag,
  isPrivateTag,
  SPECIFIC_CHARACTER_SET,
  type Tag,
  tagToHex,
} from '../core/tag.ts';
import { type VR, vrInfo } from '../core/vr.ts';
import { SpecificCharacterSet } from '../encoding/charset/index.ts';
import { swapped } from '../object/byte-swap.ts';
import type { DataSet } from '../object/dataset.ts';
import { dcmtkTagText, dumpTag, elementName } from '../object/dump.ts';
import type { Element, Fragment } from '../object/element.ts';
import { dcmtkFloatText, printfG } from '../object/float-text.ts';
import type { DicomFile } from '../object/part10.ts';
import { decodeNumbers, decodeText } from '../object/values.ts';
import { DataSetEncoder } from '../object/writer.ts';
import { encodeBase64 } from './base64.ts';

/**
 * Data sets as XML, in the two forms DCMTK's dcm2xml writes (DCMTK 3.6.7 is the reference:
 * the output is byte for byte dcm2xml's for the same options wherever the text is the same):
 *
 * - `dataSetToDcmtkXml`: DCMTK's own format, described by its dcm2xml.dtd: `<file-format>` with
 *   `<meta-header>` and `<data-set>`, `<element>`, `<sequence>`, `<item>` and `<pixel-item>`
 *   carrying tag, VR, VM, length and name. findscu writes the same `<data-set>` per C-FIND
 *   response (-Xx), or all of them in one `<responses>` document (-Xs: `dcmtkXmlResponse`
 *   between `DCMTK_XML_RESPONSES_HEAD` and `DCMTK_XML_RESPONSES_TAIL`).
 * - `dataSetToNativeXml`: the Native DICOM Model of PS3.19 §A.1 (`<NativeDicomModel>`).
 *
 * Text values are decoded with the Specific Character Set that applies to them (PS3.5 §6.1)
 * and written in the encoding the XML declaration names, chosen from (0008,0005) the way
 * dcm2xml chooses it (ISO_IR 100 -> ISO-8859-1, ..., ISO_IR 192 -> UTF-8). Where dcm2xml has no
 * XML encoding for the character set (ISO 2022 code extensions, GB18030, several values), it
 * declares none and writes non-ASCII characters as character references; so do we, but of the
 * decoded characters, where DCMTK writes one reference per byte of the encoded value (which
 * names the wrong characters and, for ESC, is not well-formed XML 1.0). Likewise a character
 * the declared encoding cannot hold (an item with its own character set) is written as a
 * character reference instead of bytes in another encoding. Everything else, including
 * DCMTK's peculiarities (which padding is removed from which VR, the digits of FL and FD,
 * Base64 of OW/OF/OD/OL/OV words in big endian order where PS3.18 §F.2.7 and PS3.5 would have
 * the source's little endian), follows dcm2xml, so that tools written against dcm2xml read our
 * output unchanged.
 */

/** DCMTK's namespace for its own format (dcm2xml +Xn). */
export const DCMTK_XML_NAMESPACE = 'http://dicom.offis.de/dcmtk';
/** The Native DICOM Model's namespace (PS3.19 §A.1.6). */
export const NATIVE_XML_NAMESPACE = 'http://dicom.nema.org/PS3.19/models/NativeDICOM';

export interface DcmtkXmlOptions {
  /** Write each element's dictionary name, `name="..."` (dcm2xml +Wn). Default true; -Wn is false. */
  elementNames?: boolean;
  /**
   * Write the values of OB, OW and UN elements and of encapsulated pixel items (dcm2xml +Wb).
   * Default false: they are marked `binary="hidden"` and left empty, as dcm2xml does.
   */
  writeBinary?: boolean;
  /** How written binary values are encoded: 'hex' numbers (dcm2xml +Eh, default) or 'base64' (+Eb). */
  binaryEncoding?: 'hex' | 'base64';
  /** Put DCMTK's namespace (`xmlns`) on the root element (dcm2xml +Xn). */
  namespace?: boolean;
  /** Reference dcm2xml.dtd in a document type declaration (dcm2xml +Xd). */
  documentType?: boolean;
  /**
   * Transfer syntax UID shown on `<data-set xfer>` when a bare DataSet is given (a DicomFile
   * shows its own). Default explicit VR little endian.
   */
  transferSyntax?: string;
  /**
   * Whose XML declaration: 'dcm2xml' (default) declares UTF-8 when (0008,0005) is absent and
   * refuses non-ASCII text without it (DicomError ERR_CHARSET); 'findscu' (findscu -Xx)
   * declares no encoding then and writes the text as it is.
   */
  declaration?: 'dcm2xml' | 'findscu';
  /**
   * Convert the text to UTF-8 first, as DCMTK's convertToUTF8 does for dcm2xml +U8: values of
   * the VRs (0008,0005) applies to (PS3.5 §6.1.2.3) are re-encoded, their lengths become the
   * new ones, and (0008,0005) becomes ISO_IR 192 (inserted when absent). Default false.
   */
  convertToUtf8?: boolean;
  /**
   * Look at every text VR, not only PN, LO, LT, SH, ST, UC and UT, when checking for non-ASCII
   * text without (0008,0005) (dcm2xml +Cc). Default false.
   */
  checkAllStrings?: boolean;
  /**
   * Show values as DCMTK holds them with its automatic data correction, which dcm2xml enables
   * and findscu does not (its +dc/-dc): odd lengths padded to even, trailing padding of text
   * removed before values are counted, white space removed from UIDs. Default: true for the
   * 'dcm2xml' declaration, false for 'findscu' and for dcmtkXmlResponse.
   */
  dataCorrection?: boolean;
}

export interface NativeXmlOptions {
  /**
   * Binary values (OB, OW, OD, OF, OL, OV, UN and encapsulated pixel data): 'uuid' (default, as
   * dcm2xml's +Eu) writes a `<BulkData uuid>` reference and not the bytes; 'base64' (+Eb) writes
   * them as `<InlineBinary>` (PS3.19 §A.1.5).
   */
  binaryEncoding?: 'uuid' | 'base64';
  /** Put the Native DICOM Model namespace (`xmlns`) on the root element (dcm2xml +Xn). */
  namespace?: boolean;
  /** Makes the `uuid` of each BulkData; default a random UUID (DCMTK's are time-based). */
  bulkDataUuid?: () => string;
  /** As for DcmtkXmlOptions. */
  convertToUtf8?: boolean;
  /** As for DcmtkXmlOptions. */
  checkAllStrings?: boolean;
}

/**
 * dcm2xml's DCMTK-specific format of a file (`<file-format>`: `<meta-header>` and `<data-set>`)
 * or of a bare data set (`<data-set>`, as dcm2xml -f and findscu -Xx write it). Returns the
 * document's bytes in the encoding its XML declaration names. Values not in memory (read as
 * bulk data) are written as dcm2xml writes values it did not load: `loaded="no"`, no content.
 */
export function dataSetToDcmtkXml(source: DataSet | DicomFile, options: DcmtkXmlOptions = {}): Uint8Array {
  const file = isDicomFile(source) ? source : undefined;
  const dataset = file ? file.dataset : (source as DataSet);
  const policy = options.declaration ?? 'dcm2xml';
  const text = new TextConversion(dataset, policy, options);
  const writer = new DcmtkWriter(options, text);
  let out = xmlDeclaration(text.encoding);
  const root = file ? 'file-format' : 'data-set';
  if (options.documentType) out += `<!DOCTYPE ${root} SYSTEM "dcm2xml.dtd">\n`;
  const ns = options.namespace ? ` xmlns="${DCMTK_XML_NAMESPACE}"` : '';
  if (file) {
    writer.push(`<file-format${ns}>\n`);
    // The meta information is explicit VR little endian (PS3.10 §7.1); dcm2xml names no
    // transfer syntax for the meta information of a file that has none.
    const metaXfer = file.hasMeta ? EXPLICIT_LE : '';
    writer.push(`<meta-header xfer="${metaXfer}" name="${transferSyntaxName(metaXfer)}">\n`);
    writer.items(file.meta, EXPLICIT_LE);
    writer.push('</meta-header>\n');
    writer.dataSet(dataset, file.transferSyntax.uid, '');
    writer.push('</file-format>\n');
  } else {
    writer.dataSet(dataset, options.transferSyntax ?? EXPLICIT_LE, ns);
  }
  return encodeDocument(out + writer.text(), text);
}

/**
 * The head of the document findscu -Xs writes all C-FIND responses into: its responses are
 * converted to UTF-8 (DCMTK's convertToUTF8), so the document declares UTF-8.
 */
export const DCMTK_XML_RESPONSES_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<responses type="C-FIND">\n';
/** The end of findscu -Xs's document. */
export const DCMTK_XML_RESPONSES_TAIL = '</responses>\n';

/**
 * One C-FIND response as findscu -Xs writes it inside `<responses>`: its `<data-set>`, in UTF-8.
 * As findscu does, a response whose (0008,0005) names a character set other than ISO_IR 192
 * is converted to UTF-8 first (and then says ISO_IR 192); one without (0008,0005) is written
 * as it is.
 */
export function dcmtkXmlResponse(
  dataset: DataSet,
  transferSyntax: string,
  options: Omit<DcmtkXmlOptions, 'convertToUtf8' | 'declaration' | 'transferSyntax'> = {},
): Uint8Array {
  const declared = charsetString(dataset);
  const convert = declared !== undefined && declared !== '' && declared !== 'ISO_IR 192';
  const text = new TextConversion(dataset, 'response', { ...options, convertToUtf8: convert });
  const writer = new DcmtkWriter(options, text);
  writer.dataSet(dataset, transferSyntax, '');
  return UTF8.encode(writer.text());
}

/**
 * The Native DICOM Model (PS3.19 §A.1) of a data set, as dcm2xml --native-format writes it.
 * Group lengths are left out (PS3.19 §A.1.1), private elements carry their creator and their
 * element number without the block (`00090001`, §A.1.5). Returns the document's bytes in the
 * encoding its XML declaration names (chosen as for dataSetToDcmtkXml).
 */
export function dataSetToNativeXml(source: DataSet | DicomFile, options: NativeXmlOptions = {}): Uint8Array {
  const dataset = isDicomFile(source) ? source.dataset : source;
  const text = new TextConversion(dataset, 'dcm2xml', options);
  const writer = new NativeWriter(options, text);
  const ns = options.namespace ? ` xmlns="${NATIVE_XML_NAMESPACE}"` : '';
  // xml:space="preserve" is required on the root (PS3.19 §A.1.5, Table A.1.5-1).
  writer.push(`<NativeDicomModel xml:space="preserve"${ns}>\n`);
  writer.items(dataset);
  writer.push('</NativeDicomModel>\n');
  return encodeDocument(xmlDeclaration(text.encoding) + writer.text(), text);
}

// ---------------------------------------------------------------------------------------------
// Character sets and escaping

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const UTF8 = new TextEncoder();

/**
 * The XML encoding dcm2xml declares for a value of (0008,0005) (the values joined with '\'),
 * and the Specific Character Set term whose table encodes it. Only single-valued terms without
 * code extensions have one (PS3.3 Table C.12-2).
 */
const XML_ENCODINGS: ReadonlyMap<string, { name: string; term: string }> = new Map([
  ['ISO_IR 6', { name: 'UTF-8', term: 'ISO_IR 192' }],
  ['ISO_IR 192', { name: 'UTF-8', term: 'ISO_IR 192' }],
  ['ISO_IR 100', { name: 'ISO-8859-1', term: 'ISO_IR 100' }],
  ['ISO_IR 101', { name: 'ISO-8859-2', term: 'ISO_IR 101' }],
  ['ISO_IR 109', { name: 'ISO-8859-3', term: 'ISO_IR 109' }],
  ['ISO_IR 110', { name: 'ISO-8859-4', term: 'ISO_IR 110' }],
  ['ISO_IR 148', { name: 'ISO-8859-9', term: 'ISO_IR 148' }],
  ['ISO_IR 144', { name: 'ISO-8859-5', term: 'ISO_IR 144' }],
  ['ISO_IR 127', { name: 'ISO-8859-6', term: 'ISO_IR 127' }],
  ['ISO_IR 126', { name: 'ISO-8859-7', term: 'ISO_IR 126' }],
  ['ISO_IR 138', { name: 'ISO-8859-8', term: 'ISO_IR 138' }],
]);

/** VRs whose values (0008,0005) applies to (PS3.5 §6.1.2.3): what DCMTK checks and converts. */
const CHARSET_VRS: ReadonlySet<VR> = new Set<VR>(['PN', 'LO', 'LT', 'SH', 'ST', 'UC', 'UT']);

/**
 * How the text of one document is written: its declared encoding (undefined: none declared),
 * whether non-ASCII characters become references, and the UTF-8 conversion, if asked.
 */
class TextConversion {
  readonly encoding: string | undefined;
  /** dcm2xml quotes every character outside printable ASCII when it has no encoding to declare. */
  readonly quote: boolean;
  /** Term whose table encodes the document (single-byte encodings only). */
  readonly term: string | undefined;
  readonly utf8: boolean;
  /** (0008,0005) is inserted with ISO_IR 192 at the top level (dcm2xml +U8 without one). */
  readonly insertCharset: boolean;
  /** DCMTK's automatic correction of values read (dcmEnableAutomaticInputDataCorrection). */
  readonly correction: boolean;
  readonly top: DataSet;

  constructor(
    top: DataSet,
    policy: 'dcm2xml' | 'findscu' | 'response',
    options: { convertToUtf8?: boolean; checkAllStrings?: boolean; dataCorrection?: boolean },
  ) {
    this.top = top;
    // On in dcm2xml; findscu leaves it off (its -dc, the default).
    this.correction = options.dataCorrection ?? policy === 'dcm2xml';
    this.utf8 = options.convertToUtf8 ?? false;
    const declared = charsetString(top);
    this.insertCharset = this.utf8 && policy !== 'response' && declared === undefined;
    let encoding: string | undefined;
    let quote = false;
    let term: string | undefined;
    if (this.utf8 || policy === 'response') {
      encoding = 'UTF-8';
    } else if (declared !== undefined) {
      const known = XML_ENCODINGS.get(declared);
      if (known) {
        encoding = known.name;
        term = known.term === 'ISO_IR 192' ? undefined : known.term;
      } else {
        // No XML encoding for this character set (or an empty value): dcm2xml declares none
        // and writes everything outside printable ASCII as a character reference.
        quote = true;
      }
    } else if (policy === 'dcm2xml') {
      if (hasExtendedCharacters(top, options.checkAllStrings ?? false)) {
        throw new DicomError(
          'ERR_CHARSET',
          'Specific Character Set (0008,0005) is absent but the data set holds non-ASCII text ' +
            '(PS3.5 §6.1.2.3); dcm2xml refuses such a data set',
        );
      }
      encoding = 'UTF-8';
    }
    this.encoding = encoding;
    this.quote = quote;
    this.term = term;
  }
}

function xmlDeclaration(encoding: string | undefined): string {
  return encoding === undefined
    ? '<?xml version="1.0"?>\n'
    : `<?xml version="1.0" encoding="${encoding}"?>\n`;
}

/** The value of (0008,0005) as DCMTK compares it: values trimmed, joined with '\'; undefined when absent. */
function charsetString(ds: DataSet): string | undefined {
  const element = ds.element(SPECIFIC_CHARACTER_SET);
  if (element === undefined) return undefined;
  if (element.bytes === undefined) return '';
  return dcmtkValues(element, ds, true)
    .map((v) => normalizeValue(v, 'CS'))
    .join('\\');
}

/** Whether a text value DCMTK looks at without (0008,0005) has a byte above 0x7F. */
function hasExtendedCharacters(ds: DataSet, all: boolean): boolean {
  for (const element of ds.elements()) {
    if (element.items) {
      for (const item of element.items) if (hasExtendedCharacters(item, all)) return true;
      continue;
    }
    const bytes = element.bytes;
    if (bytes === undefined || vrInfo(element.vr).kind !== 'text') continue;
    if (!all && !CHARSET_VRS.has(element.vr)) continue;
    for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return true;
  }
  return false;
}

/**
 * Text as XML character data or attribute value (XML 1.0 §2.4, §3.3.3): the five markup
 * characters as entities, CR and LF as references so that they survive attribute
 * normalisation, NUL dropped (it cannot appear in XML). With `quote`, every other character
 * outside printable ASCII becomes a reference too (NUL included, as dcm2xml writes it).
 */
function escapeXml(text: string, quote: boolean): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let replacement: string | undefined;
    switch (c) {
      case 0x3c:
        replacement = '&lt;';
        break;
      case 0x3e:
        replacement = '&gt;';
        break;
      case 0x26:
        replacement = '&amp;';
        break;
      case 0x22:
        replacement = '&quot;';
        break;
      case 0x27:
        replacement = '&apos;';
        break;
      case 0x0a:
        replacement = '&#10;';
        break;
      case 0x0d:
        replacement = '&#13;';
        break;
      case 0x00:
        // NUL cannot appear in XML; dcm2xml drops it, or references it when quoting.
        replacement = quote ? '&#0;' : '';
        break;
      default:
        if (quote && (c < 0x20 || c >= 0x7f)) {
          const cp = text.codePointAt(i)!;
          replacement = `&#${cp};`;
          if (cp > 0xffff) {
            out += text.slice(from, i) + replacement;
            i++;
            from = i + 1;
            continue;
          }
        }
    }
    if (replacement !== undefined) {
      out += text.slice(from, i) + replacement;
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/** The document as bytes: UTF-8, or the single-byte set it declares (references for what it lacks). */
function encodeDocument(doc: string, text: TextConversion): Uint8Array {
  if (text.term === undefined) {
    if (!text.quote) return UTF8.encode(doc);
    // Quoted documents are ASCII.
    const out = new Uint8Array(doc.length);
    for (let i = 0; i < doc.length; i++) out[i] = doc.charCodeAt(i);
    return out;
  }
  const charset = SpecificCharacterSet.from([text.term]);
  const out: number[] = [];
  for (let i = 0; i < doc.length; i++) {
    const c = doc.charCodeAt(i);
    if (c < 0x80) {
      out.push(c);
      continue;
    }
    const cp = doc.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (cp > 0xffff) i++;
    let bytes: Uint8Array | undefined;
    try {
      bytes = charset.encode(ch, 'LT');
    } catch {
      bytes = undefined;
    }
    if (bytes !== undefined && bytes.length === 1) out.push(bytes[0]!);
    else for (const b of `&#${cp};`) out.push(b.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// Values as DCMTK's string classes see them

/** Text VRs that hold one value, backslashes included (PS3.5 §6.2). */
const SINGLE_VALUE_TEXT: ReadonlySet<VR> = new Set<VR>(['LT', 'ST', 'UT', 'UR']);

/**
 * A text element's value as DCMTK holds it after reading. With its automatic data correction
 * (on in dcm2xml, off in findscu), an odd-length value gets a NUL appended (DCMTK pads to even
 * length on load), white space is removed from UIDs, and the trailing padding is removed
 * (spaces; NULs for UI, PS3.5 §6.2).
 */
function dcmtkString(element: Element, ds: DataSet, correction: boolean): string {
  const bytes = element.bytes;
  if (bytes === undefined || bytes.length === 0) return '';
  let text = decodeText(element, ds.characterSet);
  if (!correction) return text;
  if (bytes.length & 1) text += '\0';
  // A repair of UIDs seen padded with spaces.
  if (element.vr === 'UI') text = text.replace(/[ \t\n\v\f\r]/g, '');
  const pad = element.vr === 'UI' ? 0 : 0x20;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === pad) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** The values of a text element, as DCMTK splits them (its VM is their number). */
function dcmtkValues(element: Element, ds: DataSet, correction: boolean): string[] {
  const text = dcmtkString(element, ds, correction);
  if (text.length === 0) return [];
  return SINGLE_VALUE_TEXT.has(element.vr) ? [text] : text.split('\\');
}

function trimLeadingSpaces(text: string): string {
  let start = 0;
  while (start < text.length && text.charCodeAt(start) === 0x20) start++;
  return start === 0 ? text : text.slice(start);
}

/**
 * Trailing padding removed as DCMTK's normalizeString does it, including its corner cases: a
 * value that is only padding keeps its first character when that is not a space, and for UI
 * one space before the NULs goes with them.
 */
function trimTrailing(text: string, pad: number): string {
  const last = text.length - 1;
  if (last < 0) return text;
  let offset = last;
  while (offset > 0 && text.charCodeAt(offset) === pad) offset--;
  if (offset === last) return text;
  return text.charCodeAt(offset) === 0x20 ? text.slice(0, offset) : text.slice(0, offset + 1);
}

/**
 * One value with the padding its VR allows removed (PS3.5 §6.2: leading and trailing spaces of
 * AE, CS, DS, IS, LO, SH; trailing of DA, DT, TM, PN, UC, LT, ST, UT, UR; trailing NULs of UI;
 * AS as it is), the normalisation DCMTK's getOFString applies.
 */
function normalizeValue(value: string, vr: VR): string {
  switch (vr) {
    case 'AE':
    case 'CS':
    case 'DS':
    case 'IS':
    case 'LO':
    case 'SH':
      return trimTrailing(trimLeadingSpaces(value), 0x20);
    case 'DA':
    case 'DT':
    case 'TM':
    case 'PN':
    case 'UC':
    case 'LT':
    case 'ST':
    case 'UT':
    case 'UR':
      return trimTrailing(value, 0x20);
    case 'UI':
      return trimTrailing(value, 0);
    default:
      return value;
  }
}

/** Characters that do not make a value non-empty, per VR, as DCMTK's isEmpty counts them. */
function nonSignificant(vr: VR): string | undefined {
  switch (vr) {
    case 'AE':
    case 'CS':
    case 'DS':
    case 'DT':
    case 'IS':
    case 'LO':
    case 'SH':
    case 'UC':
      return ' \\';
    case 'DA':
    case 'TM':
    case 'UI':
      return '\\';
    case 'PN':
      return ' \\^=';
    default:
      return undefined;
  }
}

/** Whether DCMTK calls a text element empty (then the Native DICOM Model gives it no Value). */
function textIsEmpty(element: Element, ds: DataSet, correction: boolean): boolean {
  const chars = nonSignificant(element.vr);
  if (chars === undefined) return element.length === 0;
  const text = dcmtkString(element, ds, correction);
  for (let i = 0; i < text.length; i++) if (!chars.includes(text[i]!)) return false;
  return true;
}

/**
 * The value of a text element under DCMTK's UTF-8 conversion: when re-encoding changes the
 * bytes, the new value with its new length (padded to even), else undefined (unchanged).
 */
function convertedLength(element: Element, ds: DataSet, correction: boolean): number | undefined {
  const raw = element.bytes;
  if (raw === undefined || raw.length === 0) return undefined;
  // The bytes DCMTK converts: its string as held (see dcmtkString).
  let bytes = raw;
  if (correction) {
    if (raw.length & 1) {
      bytes = new Uint8Array(raw.length + 1);
      bytes.set(raw);
    }
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0x20) end--;
    bytes = bytes.subarray(0, end);
  }
  if (bytes.length === 0 || bytes.every((b) => b < 0x80 && b !== 0x1b)) return undefined;
  const utf8 = UTF8.encode(dcmtkString(element, ds, correction));
  if (utf8.length === bytes.length && utf8.every((b, i) => b === bytes[i])) return undefined;
  return utf8.length + (utf8.length & 1);
}

/** Binary numbers (US ... UV, FL, FD, AT) as DCMTK's getOFString writes each. */
function numberTexts(element: Element): string[] {
  const bytes = element.bytes;
  if (bytes === undefined) return [];
  const vr = element.vr;
  const values = decodeNumbers(bytes, vr, element.littleEndian);
  switch (vr) {
    case 'FL':
      return (values as number[]).map((v) => dcmtkFloatText(v, 9));
    case 'FD':
      return (values as number[]).map((v) => dcmtkFloatText(v, 17));
    case 'AT':
      // Tags as 8 hex digits, group first; the callers add DCMTK's punctuation and case.
      return (values as number[]).map((v) => v.toString(16).padStart(8, '0'));
    default:
      return values.map(String);
  }
}

/** `gggg` in lower-case hex. */
/** The number of values DCMTK counts in a binary element: whole units only. */
function binaryCount(element: Element): number {
  const vr = element.vr;
  const unit = vr === 'AT' ? 4 : vrInfo(vr).unitSize;
  return Math.floor(element.length / unit);
}

/**
 * The bytes of OB, OW, UN (and OF, OD, OL, OV) as DCMTK hands them to its Base64 encoder: its
 * words in big endian order, whatever the byte order of the source (DCMTK 3.6.7 swaps them so
 * before encoding), and odd-length OB/UN with the NUL DCMTK's data correction pads them with.
 */
function dcmtkBinaryBytes(element: Element, bytes: Uint8Array, correction: boolean): Uint8Array {
  const vr = element.vr;
  const unit = vr === 'OW' ? 2 : vr === 'OF' || vr === 'OL' ? 4 : vr === 'OD' || vr === 'OV' ? 8 : 1;
  if (unit === 1) {
    if ((bytes.length & 1) === 0 || !correction) return bytes;
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    return padded;
  }
  return element.littleEndian ? swapped(bytes, unit) : bytes;
}

/** The transfer syntax names DCMTK 3.6.7 prints (its dcxfer.cc table). */
const DCMTK_XFER_NAMES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10008.1.2', 'Little Endian Implicit'],
  ['1.2.840.10008.1.2.1', 'Little Endian Explicit'],
  ['1.2.840.10008.1.2.2', 'Big Endian Explicit'],
  ['1.2.840.10008.1.2.4.50', 'JPEG Baseline'],
  ['1.2.840.10008.1.2.4.51', 'JPEG Extended, Process 2+4'],
  ['1.2.840.10008.1.2.4.52', 'JPEG Extended, Process 3+5'],
  ['1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection, Non-hierarchical, Process 6+8'],
  ['1.2.840.10008.1.2.4.54', 'JPEG Spectral Selection, Non-hierarchical, Process 7+9'],
  ['1.2.840.10008.1.2.4.55', 'JPEG Full Progression, Non-hierarchical, Process 10+12'],
  ['1.2.840.10008.1.2.4.56', 'JPEG Full Progression, Non-hierarchical, Process 11+13'],
  ['1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-hierarchical, Process 14'],
  ['1.2.840.10008.1.2.4.58', 'JPEG Lossless, Non-hierarchical, Process 15'],
  ['1.2.840.10008.1.2.4.59', 'JPEG Extended, Hierarchical, Process 16+18'],
  ['1.2.840.10008.1.2.4.60', 'JPEG Extended, Hierarchical, Process 17+19'],
  ['1.2.840.10008.1.2.4.61', 'JPEG Spectral Selection, Hierarchical, Process 20+22'],
  ['1.2.840.10008.1.2.4.62', 'JPEG Spectral Selection, Hierarchical, Process 21+23'],
  ['1.2.840.10008.1.2.4.63', 'JPEG Full Progression, Hierarchical, Process 24+26'],
  ['1.2.840.10008.1.2.4.64', 'JPEG Full Progression, Hierarchical, Process 25+27'],
  ['1.2.840.10008.1.2.4.65', 'JPEG Lossless, Hierarchical, Process 28'],
  ['1.2.840.10008.1.2.4.66', 'JPEG Lossless, Hierarchical, Process 29'],
  ['1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-hierarchical, 1st Order Prediction'],
  ['1.2.840.10008.1.2.5', 'RLE Lossless'],
  ['1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian'],
  ['1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless'],
  ['1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-lossless)'],
  ['1.2.840.10008.1.2.4.90', 'JPEG 2000 (Lossless only)'],
  ['1.2.840.10008.1.2.4.91', 'JPEG 2000 (Lossless or Lossy)'],
  ['1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multicomponent Image Compression (Lossless only)'],
  ['1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multicomponent Image Compression (Lossless or Lossy)'],
  ['1.2.840.10008.1.2.4.94', 'JPIP Referenced'],
  ['1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate'],
  ['1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile @ Main Level'],
  ['1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile @ High Level'],
  ['1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1'],
  ['1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1'],
  ['1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video'],
  ['1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video'],
  ['1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2'],
  ['1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1'],
  ['1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1'],
  ['1.2.840.113619.5.2', 'Private GE Little Endian Implicit with big endian pixel data'],
]);

function transferSyntaxName(uid: string): string {
  return DCMTK_XFER_NAMES.get(uid) ?? 'Unknown Transfer Syntax';
}

function isDicomFile(source: DataSet | DicomFile): source is DicomFile {
  return 'dataset' in source && 'meta' in source;
}

// ---------------------------------------------------------------------------------------------
// The writers

/** Text parts of a document, joined once at the end. */
abstract class XmlParts {
  readonly #parts: string[] = [];
  protected readonly conversion: TextConversion;

  constructor(conversion: TextConversion) {
    this.conversion = conversion;
  }

  push(text: string): void {
    this.#parts.push(text);
  }

  text(): string {
    return this.#parts.join('');
  }

  protected escape(text: string): string {
    return escapeXml(text, this.conversion.quote);
  }

  /** The elements of a data set, with (0008,0005) inserted where DCMTK's UTF-8 conversion adds it. */
  protected *elementsOf(ds: DataSet): Generator<Element | 'charset'> {
    const insert = this.conversion.insertCharset && ds === this.conversion.top;
    let inserted = !insert;
    for (const element of ds.elements()) {
      if (!inserted && element.tag > SPECIFIC_CHARACTER_SET) {
        yield 'charset';
        inserted = true;
      }
      yield element;
    }
    if (!inserted) yield 'charset';
  }

  /** Whether (0008,0005) of this data set reads ISO_IR 192 because of the conversion. */
  protected convertedCharset(element: Element, ds: DataSet): boolean {
    return this.conversion.utf8 && element.tag === SPECIFIC_CHARACTER_SET && ds === this.conversion.top;
  }
}

class DcmtkWriter extends XmlParts {
  readonly #names: boolean;
  readonly #binary: boolean;
  readonly #base64: boolean;

  constructor(options: DcmtkXmlOptions, conversion: TextConversion) {
    super(conversion);
    this.#names = options.elementNames ?? true;
    this.#binary = options.writeBinary ?? false;
    this.#base64 = options.binaryEncoding === 'base64';
  }

  dataSet(ds: DataSet, xfer: string, ns: string): void {
    this.push(`<data-set xfer="${xfer}" name="${this.escape(transferSyntaxName(xfer))}"${ns}>\n`);
    this.items(ds, xfer);
    this.push('</data-set>\n');
  }

  /** The elements of a data set or item. */
  items(ds: DataSet, xfer: string): void {
    for (const element of this.elementsOf(ds)) {
      if (element === 'charset') this.#charset();
      else this.#element(element, ds, xfer);
    }
  }

  #name(tag: Tag, ds: DataSet): string {
    return this.#names ? ` name="${this.escape(elementName(tag, ds))}"` : '';
  }

  #start(element: Element, ds: DataSet, vm: number, length: number, extra = ''): void {
    const tag = element.tag;
    const loaded = element.bytes === undefined && element.bulk !== undefined ? ' loaded="no"' : '';
    this.push(
      `<element tag="${dcmtkTagText(tag)}" vr="${element.vr}" vm="${vm}" len="${length}"` +
        `${this.#name(tag, ds)}${loaded}${extra}>`,
    );
  }

  /** (0008,0005) as DCMTK's UTF-8 conversion leaves it. */
  #charset(): void {
    const name = this.#names ? ' name="SpecificCharacterSet"' : '';
    this.push(`<element tag="0008,0005" vr="CS" vm="1" len="10"${name}>ISO_IR 192</element>\n`);
  }

  #element(element: Element, ds: DataSet, xfer: string): void {
    if (element.items) {
      this.#sequence(element, ds, xfer);
      return;
    }
    if (element.fragments) {
      this.#pixelSequence(element, ds);
      return;
    }
    if (this.convertedCharset(element, ds)) {
      this.#charset();
      return;
    }
    const vr = element.vr;
    const info = vrInfo(vr);
    const loaded = element.bytes !== undefined;
    switch (info.kind) {
      case 'text': {
        const correction = this.conversion.correction;
        const values = loaded ? dcmtkValues(element, ds, correction) : [];
        let length = element.length;
        if (loaded) {
          // DCMTK's data correction pads an odd-length string to even length when it loads it.
          if (correction) length += length & 1;
          if (this.conversion.utf8 && CHARSET_VRS.has(vr))
            length = convertedLength(element, ds, correction) ?? length;
        }
        const vm = loaded ? values.length : 0;
        this.#start(element, ds, vm, length);
        if (values.length > 0) {
          // DS is written as stored (DCMTK's DcmDecimalString::writeXML), the rest normalised.
          const text = vr === 'DS' ? values.join('\\') : values.map((v) => normalizeValue(v, vr)).join('\\');
          this.push(this.escape(text));
        }
        this.push('</element>\n');
        return;
      }
      case 'number': {
        const texts = loaded ? numberTexts(element) : [];
        this.#start(element, ds, binaryCount(element), element.length);
        if (vr === 'AT') this.push(texts.map((t) => `(${t.slice(0, 4)},${t.slice(4)})`).join('\\'));
        else this.push(texts.join('\\'));
        this.push('</element>\n');
        return;
      }
      default:
        this.#binaryElement(element, ds);
    }
  }

  /** OB, OW, UN (binary="..."), and OF, OD, OL, OV, which DCMTK writes as numbers. */
  #binaryElement(element: Element, ds: DataSet): void {
    const vr = element.vr;
    const bytes = element.bytes;
    if (vr === 'OF' || vr === 'OD' || vr === 'OL' || vr === 'OV') {
      this.#start(element, ds, 1, element.length);
      if (bytes !== undefined) {
        const as = vr === 'OF' ? 'FL' : vr === 'OD' ? 'FD' : vr === 'OL' ? 'UL' : 'UV';
        const values = decodeNumbers(bytes, as, element.littleEndian);
        const texts =
          vr === 'OF'
            ? (values as number[]).map((v) => printfG(v, 8))
            : vr === 'OD'
              ? (values as number[]).map((v) => printfG(v, 17))
              : values.map(String);
        this.push(texts.join('\\'));
      }
      this.push('</element>\n');
      return;
    }
    // DCMTK's data correction pads odd-length OB and UN to even length on load (not OW).
    const pad = bytes !== undefined && vr !== 'OW' && this.conversion.correction;
    const length = pad ? element.length + (element.length & 1) : element.length;
    this.#start(element, ds, 1, length, ` binary="${this.#binaryMode()}"`);
    if (bytes !== undefined && this.#binary) {
      const data = dcmtkBinaryBytes(element, bytes, this.conversion.correction);
      if (this.#base64) this.push(encodeBase64(data));
      else if (vr === 'OW') this.push(hexWords(bytes, element.littleEndian));
      else this.push(hexBytes(data));
    }
    this.push('</element>\n');
  }

  #binaryMode(): string {
    return !this.#binary ? 'hidden' : this.#base64 ? 'base64' : 'yes';
  }

  #sequence(element: Element, ds: DataSet, xfer: string): void {
    const tag = element.tag;
    const items = element.items!;
    // A UN of undefined length read as a sequence (PS3.5 §6.2.2) is shown as the SQ it is.
    const seqLength =
      element.undefinedLength || element.vr === 'UN' ? '' : ` len="${sequenceLength(element, xfer)}"`;
    this.push(
      `<sequence tag="${dcmtkTagText(tag)}" vr="SQ" card="${items.length}"${seqLength}` +
        `${this.#name(tag, ds)}>\n`,
    );
    const inner = element.vr === 'UN' ? '1.2.840.10008.1.2' : xfer;
    for (const item of items) {
      const length = item.undefinedLength ? '' : ` len="${itemLength(item, inner)}"`;
      this.push(`<item card="${item.size}"${length}>\n`);
      this.items(item, inner);
      this.push('</item>\n');
    }
    this.push('</sequence>\n');
  }

  /** Encapsulated pixel data (PS3.5 §A.4): DCMTK shows it as an OB sequence of pixel items. */
  #pixelSequence(element: Element, ds: DataSet): void {
    const tag = element.tag;
    const fragments = element.fragments!;
    this.push(
      `<sequence tag="${dcmtkTagText(tag)}" vr="OB" card="${fragments.length}"` + `${this.#name(tag, ds)}>\n`,
    );
    for (const fragment of fragments) this.#pixelItem(fragment);
    this.push('</sequence>\n');
  }

  #pixelItem(fragment: Fragment): void {
    const bytes = fragment instanceof Uint8Array ? fragment : undefined;
    const loaded = bytes === undefined ? ' loaded="no"' : '';
    this.push(`<pixel-item len="${fragment.length}"${loaded} binary="${this.#binaryMode()}">`);
    if (bytes !== undefined && bytes.length > 0 && this.#binary) {
      this.push(this.#base64 ? encodeBase64(bytes) : hexBytes(bytes));
    }
    this.push('</pixel-item>\n');
  }
}

function hexBytes(bytes: Uint8Array): string {
  const parts: string[] = new Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX2[bytes[i]!]!;
  return parts.join('\\');
}

function hexWords(bytes: Uint8Array, littleEndian: boolean): string {
  const count = bytes.length >>> 1;
  const parts: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const lo = bytes[2 * i]!;
    const hi = bytes[2 * i + 1]!;
    parts[i] = littleEndian ? HEX2[hi]! + HEX2[lo]! : HEX2[lo]! + HEX2[hi]!;
  }
  return parts.join('\\');
}

const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The length field of a sequence of defined length: as read, or as it would be encoded. */
function sequenceLength(element: Element, xfer: string): number {
  if (element.readLength !== undefined) return element.readLength;
  let total = 0;
  for (const item of element.items!) total += 8 + itemLength(item, xfer) + (item.undefinedLength ? 8 : 0);
  return total;
}

/** The length field of an item of defined length: as read, or as it would be encoded. */
function itemLength(item: DataSet, xfer: string): number {
  if (item.readLength !== undefined) return item.readLength;
  const implicit = xfer === '1.2.840.10008.1.2';
  const big = xfer === '1.2.840.10008.1.2.2';
  let total = 0;
  for (const part of new DataSetEncoder().encode(item, { explicitVR: !implicit, littleEndian: !big })) {
    total += part instanceof Uint8Array ? part.length : part.ref.length + (part.ref.length & 1);
  }
  return total;
}

/**
 * The private creator of a private element (PS3.5 §7.8.1): the value of (gggg,00bb) in the same
 * item, as DCMTK records it, only when that element is text (a creator read as UN is none).
 */
function privateCreator(ds: DataSet, tag: Tag): string | undefined {
  const block = (tag & 0xffff) >>> 8;
  if (block < 0x10) return undefined;
  const element = ds.element(((tag >>> 16) * 0x10000 + block) >>> 0);
  if (element === undefined || element.bytes === undefined || vrInfo(element.vr).kind !== 'text')
    return undefined;
  const text = dcmtkString(element, ds, true);
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

/** Component groups of a PN value in the Native DICOM Model (PS3.19 §A.1.5, Table A.1.5-2). */
const GROUP_NAMES = ['Alphabetic', 'Ideographic', 'Phonetic'] as const;
/** The five components of a name group (PS3.5 §6.2.1.1). */
const COMPONENT_NAMES = ['FamilyName', 'GivenName', 'MiddleName', 'NamePrefix', 'NameSuffix'] as const;

/** Component group `n` of a PN value, or undefined when the value has no such group (DCMTK's rule). */
function componentGroup(value: string, n: number): string | undefined {
  const a = value.indexOf('=');
  if (a < 0) return n === 0 ? value : undefined;
  if (n === 0) return value.slice(0, a);
  const b = value.indexOf('=', a + 1);
  if (b < 0) return n === 1 ? value.slice(a + 1) : undefined;
  return n === 1 ? value.slice(a + 1, b) : value.slice(b + 1);
}

class NativeWriter extends XmlParts {
  readonly #base64: boolean;
  readonly #uuid: () => string;

  constructor(options: NativeXmlOptions, conversion: TextConversion) {
    super(conversion);
    this.#base64 = options.binaryEncoding === 'base64';
    this.#uuid = options.bulkDataUuid ?? (() => globalThis.crypto.randomUUID());
  }

  items(ds: DataSet): void {
    for (const element of this.elementsOf(ds)) {
      if (element === 'charset') this.#charset();
      else this.#element(element, ds);
    }
  }

  #charset(): void {
    this.push(
      '<DicomAttribute tag="00080005" vr="CS" keyword="SpecificCharacterSet">\n<Value number="1">ISO_IR 192</Value>\n</DicomAttribute>\n',
    );
  }

  /** The start tag: tag, VR, and the keyword, or the private creator (PS3.19 §A.1.5). */
  #start(element: Element, ds: DataSet, vr: string): void {
    const tag = element.tag;
    const group = tag >>> 16;
    let text: string;
    if (isPrivateTag(tag)) {
      // Private element numbers are written without their block (`ggggxxee` -> `gggg00ee`).
      text = `<DicomAttribute tag="${tagToHex((group * 0x10000 + (tag & 0xff)) >>> 0)}" vr="${vr}"`;
      if (!isPrivateCreatorTag(tag)) {
        const creator = privateCreator(ds, tag);
        if (creator !== undefined) text += ` privateCreator="${this.escape(creator)}"`;
      }
    } else {
      text = `<DicomAttribute tag="${tagToHex(tag)}" vr="${vr}"`;
      const name = elementName(tag, ds);
      // Keywords of PS3.6 only: not DCMTK's names for retired or unknown elements.
      if (name !== 'Unknown Tag & Data' && !name.startsWith('RETIRED_') && !name.startsWith('ACR_NEMA_')) {
        text += ` keyword="${this.escape(name)}"`;
      }
    }
    this.push(`${text}>\n`);
  }

  #element(element: Element, ds: DataSet): void {
    // Group Length attributes shall not be included (PS3.19 §A.1.1). DCMTK leaves out only
    // those it writes as plain values: a group length read as UN (or OB, PN, AT) stays.
    const kind = vrInfo(element.vr).kind;
    if (
      (element.tag & 0xffff) === 0 &&
      !element.items &&
      ((kind === 'text' && element.vr !== 'PN') || (kind === 'number' && element.vr !== 'AT'))
    ) {
      return;
    }
    if (element.items) {
      this.#start(element, ds, 'SQ');
      element.items.forEach((item, i) => {
        this.push(`<Item number="${i + 1}">\n`);
        this.items(item);
        this.push('</Item>\n');
      });
      this.push('</DicomAttribute>\n');
      return;
    }
    if (element.fragments) {
      this.#start(element, ds, 'OB');
      // DCMTK 3.6.7 has no bytes to give for encapsulated pixel data: an empty InlineBinary.
      this.push(this.#base64 ? '<InlineBinary></InlineBinary>\n' : `<BulkData uuid="${this.#uuid()}"/>\n`);
      this.push('</DicomAttribute>\n');
      return;
    }
    if (this.convertedCharset(element, ds)) {
      this.#charset();
      return;
    }
    const vr = element.vr;
    this.#start(element, ds, vr);
    const info = vrInfo(vr);
    switch (info.kind) {
      case 'text':
        if (element.bytes !== undefined && !textIsEmpty(element, ds, true)) {
          const values = dcmtkValues(element, ds, true);
          if (vr === 'PN') this.#personNames(values);
          else for (const [i, v] of values.entries()) this.#value(i, this.escape(normalizeValue(v, vr)));
        }
        break;
      case 'number':
        if (element.length > 0) {
          const texts = numberTexts(element);
          for (const [i, t] of texts.entries()) this.#value(i, vr === 'AT' ? t.toUpperCase() : t);
        }
        break;
      default:
        if (element.length > 0) {
          if (this.#base64) {
            const bytes = element.bytes;
            if (bytes === undefined) {
              throw new DicomError('ERR_IO', `${dumpTag(element.tag)}: the value is not in memory`);
            }
            this.push(
              `<InlineBinary>${encodeBase64(dcmtkBinaryBytes(element, bytes, true))}</InlineBinary>\n`,
            );
          } else {
            this.push(`<BulkData uuid="${this.#uuid()}"/>\n`);
          }
        }
    }
    this.push('</DicomAttribute>\n');
  }

  #value(index: number, text: string): void {
    this.push(`<Value number="${index + 1}">${text}</Value>\n`);
  }

  /**
   * PN values as PersonName with their component groups split into components (PS3.19 §A.1.5).
   * As DCMTK 3.6.7 does, a group that is present but empty repeats the components last seen.
   */
  #personNames(values: string[]): void {
    const components = ['', '', '', '', ''];
    values.forEach((raw, i) => {
      this.push(`<PersonName number="${i + 1}">\n`);
      const value = normalizeValue(raw, 'PN');
      for (let g = 0; g < 3; g++) {
        const group = componentGroup(value, g);
        if (group === undefined) continue;
        if (group.length > 0) {
          const parts = group.split('^');
          for (let c = 0; c < 5; c++) components[c] = c < 4 ? (parts[c] ?? '') : parts.slice(4).join('^');
        }
        this.push(`<${GROUP_NAMES[g]}>\n`);
        for (let c = 0; c < 5; c++) {
          const text = components[c]!;
          if (text.length > 0)
            this.push(`<${COMPONENT_NAMES[c]}>${this.escape(text)}</${COMPONENT_NAMES[c]}>\n`);
        }
        this.push(`</${GROUP_NAMES[g]}>\n`);
      }
      this.push('</PersonName>\n');
    });
  }
}
