import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../core/errors.ts';
import type { Tag } from '../core/tag.ts';
import type { VR } from '../core/vr.ts';
import { findTransferSyntax } from '../encoding/index.ts';
import { DataSet } from '../object/dataset.ts';
import { Element } from '../object/element.ts';
import type { DicomFile } from '../object/part10.ts';
import {
  DCMTK_XML_RESPONSES_HEAD,
  DCMTK_XML_RESPONSES_TAIL,
  dataSetToDcmtkXml,
  dataSetToNativeXml,
  dcmtkXmlResponse,
} from './index.ts';

/** Bytes one per character code (the tests spell ISO 8859 bytes as \xNN). */
const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const latin1 = (data: Uint8Array): string => Buffer.from(data).toString('latin1');
const utf8 = (data: Uint8Array): string => Buffer.from(data).toString('utf8');

/** An element with exactly these value bytes (padding included), as a reader leaves it. */
function put(ds: DataSet, tag: Tag, vr: VR, value: string | Uint8Array): Element {
  const element = new Element(tag, vr, typeof value === 'string' ? bytes(value) : value);
  ds.add(element);
  return element;
}

function sequence(ds: DataSet, tag: Tag, items: DataSet[], undefinedLength = false): Element {
  const element = new Element(tag, 'SQ', undefined);
  element.items = items;
  element.undefinedLength = undefinedLength;
  for (const item of items) item.parent = ds;
  ds.add(element);
  return element;
}

/** The lines between the XML declaration (and root start tag) and the root end tag. */
function body(xml: Uint8Array, decode = latin1): string[] {
  return decode(xml).split('\n').slice(2, -2);
}

describe('dataSetToDcmtkXml: DCMTK format', () => {
  it('writes a bare data set as <data-set>, with tag, VR, VM, length and name', () => {
    const ds = new DataSet();
    put(ds, 0x00080060, 'CS', 'OT');
    put(ds, 0x00100020, 'LO', 'ID\\12 ');
    const xml = latin1(dataSetToDcmtkXml(ds));
    assert.equal(
      xml,
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<data-set xfer="1.2.840.10008.1.2.1" name="Little Endian Explicit">',
        '<element tag="0008,0060" vr="CS" vm="1" len="2" name="Modality">OT</element>',
        '<element tag="0010,0020" vr="LO" vm="2" len="6" name="PatientID">ID\\12</element>',
        '</data-set>',
        '',
      ].join('\n'),
    );
    assert.match(latin1(dataSetToDcmtkXml(ds, { elementNames: false })), /vm="1" len="2">OT</);
    assert.match(
      latin1(dataSetToDcmtkXml(ds, { namespace: true, documentType: true })),
      /<!DOCTYPE data-set SYSTEM "dcm2xml.dtd">\n<data-set xfer="[^"]+" name="[^"]+" xmlns="http:\/\/dicom.offis.de\/dcmtk">/,
    );
  });

  it('writes a file as <file-format> with its meta header; no meta information has no transfer syntax', () => {
    const meta = new DataSet();
    put(meta, 0x00020010, 'UI', '1.2.840.10008.1.2\0');
    const dataset = new DataSet();
    put(dataset, 0x00080060, 'CS', 'OT');
    const file: DicomFile = {
      meta,
      dataset,
      transferSyntax: findTransferSyntax('1.2.840.10008.1.2')!,
      hasMeta: true,
      dataSetOffset: 0,
      warnings: [],
    };
    const lines = latin1(dataSetToDcmtkXml(file)).split('\n');
    assert.deepEqual(lines.slice(1, 5), [
      '<file-format>',
      '<meta-header xfer="1.2.840.10008.1.2.1" name="Little Endian Explicit">',
      '<element tag="0002,0010" vr="UI" vm="1" len="18" name="TransferSyntaxUID">1.2.840.10008.1.2</element>',
      '</meta-header>',
    ]);
    assert.equal(lines[5], '<data-set xfer="1.2.840.10008.1.2" name="Little Endian Implicit">');
    const bare = latin1(dataSetToDcmtkXml({ ...file, meta: new DataSet(), hasMeta: false }));
    assert.match(bare, /<meta-header xfer="" name="Unknown Transfer Syntax">\n<\/meta-header>/);
  });

  it('escapes markup characters and line breaks, and drops NUL', () => {
    const ds = new DataSet();
    put(ds, 0x00080070, 'LO', ' <a & "b"> \'c\'  ');
    put(ds, 0x00080080, 'LO', 'TAB\there\0\0');
    put(ds, 0x00102000, 'LT', 'line1\r\nline2 \\ back   ');
    assert.deepEqual(body(dataSetToDcmtkXml(ds)), [
      '<element tag="0008,0070" vr="LO" vm="1" len="16" name="Manufacturer">&lt;a &amp; &quot;b&quot;&gt; &apos;c&apos;</element>',
      '<element tag="0008,0080" vr="LO" vm="1" len="10" name="InstitutionName">TAB\there</element>',
      '<element tag="0010,2000" vr="LT" vm="1" len="22" name="MedicalAlerts">line1&#13;&#10;line2 \\ back</element>',
    ]);
  });

  it('removes the padding DCMTK removes from each VR, and counts empty values', () => {
    const ds = new DataSet();
    put(ds, 0x00080008, 'CS', ' ORIGINAL \\ PRIMARY\\\\AXIAL  ');
    put(ds, 0x00080018, 'UI', '1.2.3.4 \0\0\0');
    put(ds, 0x00080050, 'SH', '  ');
    put(ds, 0x00080090, 'PN', 'Doe^John  ');
    put(ds, 0x00101030, 'DS', ' 70.5 \\ 1e3 ');
    put(ds, 0x00104000, 'LT', '    ');
    assert.deepEqual(body(dataSetToDcmtkXml(ds)), [
      '<element tag="0008,0008" vr="CS" vm="4" len="28" name="ImageType">ORIGINAL\\PRIMARY\\\\AXIAL</element>',
      // White space anywhere in a UID goes (DCMTK's repair), the length stays as read.
      '<element tag="0008,0018" vr="UI" vm="1" len="12" name="SOPInstanceUID">1.2.3.4</element>',
      '<element tag="0008,0050" vr="SH" vm="0" len="2" name="AccessionNumber"></element>',
      '<element tag="0008,0090" vr="PN" vm="1" len="10" name="ReferringPhysicianName">Doe^John</element>',
      // DS is written as stored (only the trailing padding of the whole value goes).
      '<element tag="0010,1030" vr="DS" vm="2" len="12" name="PatientWeight"> 70.5 \\ 1e3</element>',
      '<element tag="0010,4000" vr="LT" vm="0" len="4" name="PatientComments"></element>',
    ]);
  });

  it('without data correction (findscu), keeps the padding when counting values', () => {
    const ds = new DataSet();
    put(ds, 0x00080050, 'SH', '  ');
    put(ds, 0x00100010, 'PN', 'Doe^J ');
    const xml = dataSetToDcmtkXml(ds, { declaration: 'findscu' });
    assert.deepEqual(body(xml), [
      '<element tag="0008,0050" vr="SH" vm="1" len="2" name="AccessionNumber"></element>',
      '<element tag="0010,0010" vr="PN" vm="1" len="6" name="PatientName">Doe^J</element>',
    ]);
  });

  it('writes binary numbers as DCMTK does: FL and FD with its own digits, AT as (gggg,eeee)', () => {
    const ds = new DataSet();
    const fl = new Uint8Array(8);
    new DataView(fl.buffer).setFloat32(0, 178.07992553710938, true);
    new DataView(fl.buffer).setFloat32(4, -1, true);
    put(ds, 0x00189220, 'FL', fl);
    put(ds, 0x00209165, 'AT', Uint8Array.from([0x10, 0x00, 0x10, 0x00, 0x08, 0x00, 0x05, 0x00]));
    put(ds, 0x00280106, 'SS', Uint8Array.from([0xff, 0xff, 0x00, 0x80, 0x01]));
    assert.deepEqual(body(dataSetToDcmtkXml(ds)), [
      '<element tag="0018,9220" vr="FL" vm="2" len="8" name="FrameAcquisitionDuration">178.0799255\\-1</element>',
      '<element tag="0020,9165" vr="AT" vm="2" len="8" name="DimensionIndexPointer">(0010,0010)\\(0008,0005)</element>',
      // Whole values only: the fifth byte counts for nothing.
      '<element tag="0028,0106" vr="SS" vm="2" len="5" name="SmallestImagePixelValue">-1\\-32768</element>',
    ]);
  });

  it('hides binary values unless asked; hex and Base64 as dcm2xml +Wb and +Eb write them', () => {
    const ds = new DataSet();
    put(ds, 0x00091001, 'UN', Uint8Array.from([9, 8, 7]));
    put(ds, 0x00281201, 'OW', Uint8Array.from([1, 2, 3, 4]));
    put(ds, 0x00660016, 'OF', Uint8Array.from([0, 0, 0x20, 0x40]));
    const hidden = body(dataSetToDcmtkXml(ds, { elementNames: false }));
    assert.deepEqual(hidden, [
      // Odd-length UN gets DCMTK's pad byte (data correction).
      '<element tag="0009,1001" vr="UN" vm="1" len="4" binary="hidden"></element>',
      '<element tag="0028,1201" vr="OW" vm="1" len="4" binary="hidden"></element>',
      // OF, OD, OL and OV are written as numbers, never hidden.
      '<element tag="0066,0016" vr="OF" vm="1" len="4">2.5</element>',
    ]);
    assert.deepEqual(body(dataSetToDcmtkXml(ds, { elementNames: false, writeBinary: true })).slice(0, 2), [
      '<element tag="0009,1001" vr="UN" vm="1" len="4" binary="yes">09\\08\\07\\00</element>',
      '<element tag="0028,1201" vr="OW" vm="1" len="4" binary="yes">0201\\0403</element>',
    ]);
    const base64 = body(
      dataSetToDcmtkXml(ds, { elementNames: false, writeBinary: true, binaryEncoding: 'base64' }),
    );
    // OW words in big endian order, as DCMTK 3.6.7 hands them to its encoder.
    assert.equal(
      base64[1],
      '<element tag="0028,1201" vr="OW" vm="1" len="4" binary="base64">AgEEAw==</element>',
    );
  });

  it('marks values that are not in memory loaded="no", and writes encapsulated pixel data as pixel items', () => {
    const ds = new DataSet();
    const pixels = new Element(0x7fe00010, 'OB', undefined);
    pixels.fragments = [
      new Uint8Array(0),
      Uint8Array.from([0xff, 0xd8]),
      { offset: 100, length: 6000, littleEndian: true },
    ];
    pixels.undefinedLength = true;
    ds.add(pixels);
    const lut = new Element(0x00283006, 'US', undefined);
    lut.bulk = { offset: 10, length: 8192, littleEndian: true };
    ds.add(lut);
    assert.deepEqual(body(dataSetToDcmtkXml(ds, { writeBinary: true })), [
      '<element tag="0028,3006" vr="US" vm="4096" len="8192" name="LUTData" loaded="no"></element>',
      '<sequence tag="7fe0,0010" vr="OB" card="3" name="PixelData">',
      '<pixel-item len="0" binary="yes"></pixel-item>',
      '<pixel-item len="2" binary="yes">ff\\d8</pixel-item>',
      '<pixel-item len="6000" loaded="no" binary="yes"></pixel-item>',
      '</sequence>',
    ]);
  });

  it('writes sequences with their items, lengths as read or as encoded, none when undefined', () => {
    const ds = new DataSet();
    const item = new DataSet();
    put(item, 0x00080100, 'SH', 'C1');
    const nested = new DataSet();
    put(nested, 0x00080100, 'SH', 'N ');
    nested.undefinedLength = true;
    sequence(item, 0x00400220, [nested], true);
    sequence(ds, 0x00081032, [item, new DataSet()]);
    const read = sequence(ds, 0x00081140, []);
    read.readLength = 0;
    assert.deepEqual(body(dataSetToDcmtkXml(ds, { elementNames: false })), [
      // Item 1: 8 + 2 bytes of CodeValue, then the nested sequence: its header (12), the item
      // (8), its element (8 + 2), the item delimiter (8), the sequence delimiter (8) = 56.
      '<sequence tag="0008,1032" vr="SQ" card="2" len="72">',
      '<item card="2" len="56">',
      '<element tag="0008,0100" vr="SH" vm="1" len="2">C1</element>',
      '<sequence tag="0040,0220" vr="SQ" card="1">',
      '<item card="1">',
      '<element tag="0008,0100" vr="SH" vm="1" len="2">N</element>',
      '</item>',
      '</sequence>',
      '</item>',
      '<item card="0" len="0">',
      '</item>',
      '</sequence>',
      '<sequence tag="0008,1140" vr="SQ" card="0" len="0">',
      '</sequence>',
    ]);
  });
});

describe('character sets', () => {
  it('declares the encoding dcm2xml chooses and writes the text in it', () => {
    const ds = new DataSet();
    put(ds, 0x00080005, 'CS', 'ISO_IR 144');
    put(ds, 0x00100010, 'PN', '\xbb\xee\xea\xe5\xdc\xd1\xe3\xe0\xd3 ');
    const xml = dataSetToDcmtkXml(ds);
    assert.match(latin1(xml), /^<\?xml version="1.0" encoding="ISO-8859-5"\?>/);
    // The same bytes as the file's: ISO 8859-5 in, ISO 8859-5 out.
    assert.ok(Buffer.from(xml).includes(Buffer.from('>\xbb\xee\xea\xe5\xdc\xd1\xe3\xe0\xd3<', 'latin1')));
    assert.match(new TextDecoder('iso-8859-5').decode(xml), />Люъхмбург</);
  });

  it('declares UTF-8 without (0008,0005) and refuses non-ASCII text then (dcm2xml), not for findscu', () => {
    const ds = new DataSet();
    put(ds, 0x00100010, 'PN', 'Doe');
    assert.match(latin1(dataSetToDcmtkXml(ds)), /^<\?xml version="1.0" encoding="UTF-8"\?>/);
    assert.match(latin1(dataSetToDcmtkXml(ds, { declaration: 'findscu' })), /^<\?xml version="1.0"\?>\n/);
    put(ds, 0x00100020, 'LO', 'M\xfcller');
    assert.throws(
      () => dataSetToDcmtkXml(ds),
      (e: unknown) => e instanceof DicomError && e.code === 'ERR_CHARSET',
    );
    assert.throws(() => dataSetToNativeXml(ds), /Specific Character Set/);
    assert.match(utf8(dataSetToDcmtkXml(ds, { declaration: 'findscu' })), />Müller</);
    // Non-ASCII in a VR (0008,0005) does not apply to is looked at with checkAllStrings only.
    const cs = new DataSet();
    put(cs, 0x00080060, 'CS', 'M\xfc');
    assert.doesNotThrow(() => dataSetToDcmtkXml(cs));
    assert.throws(() => dataSetToDcmtkXml(cs, { checkAllStrings: true }), /absent/);
  });

  it('declares none for a character set without an XML encoding and quotes the decoded characters', () => {
    const ds = new DataSet();
    put(ds, 0x00080005, 'CS', '\\ISO 2022 IR 87 ');
    put(ds, 0x00100010, 'PN', '\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B ');
    const xml = latin1(dataSetToDcmtkXml(ds));
    assert.match(xml, /^<\?xml version="1.0"\?>\n/);
    assert.match(xml, />&#12420;&#12414;&#12384;\^&#12383;&#12429;&#12358;<\/element>/);
    // An empty (0008,0005) is no encoding either: everything outside printable ASCII quoted.
    const empty = new DataSet();
    put(empty, 0x00080005, 'CS', '');
    put(empty, 0x00100010, 'PN', 'M\xfcller\0\0');
    assert.match(latin1(dataSetToDcmtkXml(empty)), />M&#252;ller&#0;&#0;</);
  });

  it('decodes an item with its own character set and references what the document encoding lacks', () => {
    const ds = new DataSet();
    put(ds, 0x00080005, 'CS', 'ISO_IR 100');
    const item = new DataSet();
    put(item, 0x00080005, 'CS', 'ISO_IR 192');
    put(item, 0x00100010, 'PN', Buffer.from('Ivanov=Иванов', 'utf8'));
    sequence(ds, 0x00101002, [item]);
    const xml = latin1(dataSetToNativeXml(ds));
    assert.match(xml, /<FamilyName>&#1048;&#1074;&#1072;&#1085;&#1086;&#1074;<\/FamilyName>/);
  });

  it('converts to UTF-8 as DCMTK does: new lengths, (0008,0005) ISO_IR 192', () => {
    const ds = new DataSet();
    put(ds, 0x00080005, 'CS', 'ISO_IR 100');
    put(ds, 0x00100010, 'PN', 'M\xfcller^J\xfcrgen ');
    put(ds, 0x00100020, 'LO', 'ASCII ');
    const lines = body(dataSetToDcmtkXml(ds, { convertToUtf8: true }), utf8);
    assert.deepEqual(lines, [
      '<element tag="0008,0005" vr="CS" vm="1" len="10" name="SpecificCharacterSet">ISO_IR 192</element>',
      '<element tag="0010,0010" vr="PN" vm="1" len="16" name="PatientName">Müller^Jürgen</element>',
      '<element tag="0010,0020" vr="LO" vm="1" len="6" name="PatientID">ASCII</element>',
    ]);
    // Inserted when absent (dcm2xml +U8).
    const none = new DataSet();
    put(none, 0x00100010, 'PN', 'Doe');
    assert.match(
      utf8(dataSetToNativeXml(none, { convertToUtf8: true })),
      /tag="00080005".*\n<Value number="1">ISO_IR 192</,
    );
  });

  it('writes findscu -Xs responses in UTF-8, converting those in another character set', () => {
    const latin = new DataSet();
    put(latin, 0x00080005, 'CS', 'ISO_IR 100');
    put(latin, 0x00100010, 'PN', 'J\xfcrgen ');
    const plain = new DataSet();
    put(plain, 0x00100010, 'PN', 'Doe ');
    const doc = [
      DCMTK_XML_RESPONSES_HEAD,
      utf8(dcmtkXmlResponse(latin, '1.2.840.10008.1.2')),
      utf8(dcmtkXmlResponse(plain, '1.2.840.10008.1.2')),
      DCMTK_XML_RESPONSES_TAIL,
    ].join('');
    assert.equal(
      doc,
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<responses type="C-FIND">',
        '<data-set xfer="1.2.840.10008.1.2" name="Little Endian Implicit">',
        '<element tag="0008,0005" vr="CS" vm="1" len="10" name="SpecificCharacterSet">ISO_IR 192</element>',
        // Without data correction the padding is converted too: 'Jürgen ' is 8 bytes.
        '<element tag="0010,0010" vr="PN" vm="1" len="8" name="PatientName">Jürgen</element>',
        '</data-set>',
        '<data-set xfer="1.2.840.10008.1.2" name="Little Endian Implicit">',
        '<element tag="0010,0010" vr="PN" vm="1" len="4" name="PatientName">Doe</element>',
        '</data-set>',
        '</responses>',
        '',
      ].join('\n'),
    );
  });
});

describe('dataSetToNativeXml: PS3.19 Native DICOM Model', () => {
  it('writes attributes with keyword, values numbered, no group lengths, private creators named', () => {
    const ds = new DataSet();
    put(ds, 0x00080000, 'UL', Uint8Array.from([4, 0, 0, 0]));
    put(ds, 0x00080008, 'CS', 'AA\\\\B ');
    put(ds, 0x00080050, 'SH', '');
    put(ds, 0x00090010, 'LO', 'MY CREATOR');
    put(ds, 0x00091001, 'LO', 'x ');
    put(ds, 0x00209165, 'AT', Uint8Array.from([0x10, 0x00, 0x10, 0x00]));
    put(ds, 0x00189219, 'FD', Uint8Array.from([0, 0, 0, 0, 0, 0, 0xf8, 0x3f]));
    put(ds, 0x00280008, 'IS', ' 12 ');
    assert.deepEqual(body(dataSetToNativeXml(ds)), [
      '<DicomAttribute tag="00080008" vr="CS" keyword="ImageType">',
      '<Value number="1">AA</Value>',
      '<Value number="2"></Value>',
      '<Value number="3">B</Value>',
      '</DicomAttribute>',
      '<DicomAttribute tag="00080050" vr="SH" keyword="AccessionNumber">',
      '</DicomAttribute>',
      '<DicomAttribute tag="00090010" vr="LO">',
      '<Value number="1">MY CREATOR</Value>',
      '</DicomAttribute>',
      '<DicomAttribute tag="00090001" vr="LO" privateCreator="MY CREATOR">',
      '<Value number="1">x</Value>',
      '</DicomAttribute>',
      '<DicomAttribute tag="00189219" vr="FD" keyword="TagAngleSecondAxis">',
      '<Value number="1">1.5</Value>',
      '</DicomAttribute>',
      '<DicomAttribute tag="00209165" vr="AT" keyword="DimensionIndexPointer">',
      '<Value number="1">00100010</Value>',
      '</DicomAttribute>',
      '<DicomAttribute tag="00280008" vr="IS" keyword="NumberOfFrames">',
      '<Value number="1">12</Value>',
      '</DicomAttribute>',
    ]);
    assert.match(
      latin1(dataSetToNativeXml(ds)),
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<NativeDicomModel xml:space="preserve">\n/,
    );
    assert.match(
      latin1(dataSetToNativeXml(ds, { namespace: true })),
      /<NativeDicomModel xml:space="preserve" xmlns="http:\/\/dicom.nema.org\/PS3.19\/models\/NativeDICOM">/,
    );
  });

  it('splits person names into component groups and components (§A.1.5)', () => {
    const ds = new DataSet();
    put(ds, 0x00100010, 'PN', 'Doe^John^Q^Dr^Jr^x\\=Yama^Taro ');
    assert.deepEqual(body(dataSetToNativeXml(ds)).slice(1, -1), [
      '<PersonName number="1">',
      '<Alphabetic>',
      '<FamilyName>Doe</FamilyName>',
      '<GivenName>John</GivenName>',
      '<MiddleName>Q</MiddleName>',
      '<NamePrefix>Dr</NamePrefix>',
      '<NameSuffix>Jr^x</NameSuffix>',
      '</Alphabetic>',
      '</PersonName>',
      '<PersonName number="2">',
      // An empty alphabetic group repeats the components last seen, as DCMTK 3.6.7 does.
      '<Alphabetic>',
      '<FamilyName>Doe</FamilyName>',
      '<GivenName>John</GivenName>',
      '<MiddleName>Q</MiddleName>',
      '<NamePrefix>Dr</NamePrefix>',
      '<NameSuffix>Jr^x</NameSuffix>',
      '</Alphabetic>',
      '<Ideographic>',
      '<FamilyName>Yama</FamilyName>',
      '<GivenName>Taro</GivenName>',
      '</Ideographic>',
      '</PersonName>',
    ]);
  });

  it('writes binary values as BulkData references or InlineBinary, sequences as numbered items', () => {
    const ds = new DataSet();
    put(ds, 0x00281201, 'OW', Uint8Array.from([1, 2, 3, 4]));
    put(ds, 0x00420011, 'OB', new Uint8Array(0));
    const item = new DataSet();
    put(item, 0x00080100, 'SH', 'C1');
    sequence(ds, 0x00081032, [item]);
    let n = 0;
    const uuid = () => `00000000-0000-0000-0000-00000000000${++n}`;
    assert.deepEqual(body(dataSetToNativeXml(ds, { bulkDataUuid: uuid })), [
      '<DicomAttribute tag="00081032" vr="SQ" keyword="ProcedureCodeSequence">',
      '<Item number="1">',
      '<DicomAttribute tag="00080100" vr="SH" keyword="CodeValue">',
      '<Value number="1">C1</Value>',
      '</DicomAttribute>',
      '</Item>',
      '</DicomAttribute>',
      '<DicomAttribute tag="00281201" vr="OW" keyword="RedPaletteColorLookupTableData">',
      '<BulkData uuid="00000000-0000-0000-0000-000000000001"/>',
      '</DicomAttribute>',
      '<DicomAttribute tag="00420011" vr="OB" keyword="EncapsulatedDocument">',
      '</DicomAttribute>',
    ]);
    assert.ok(
      body(dataSetToNativeXml(ds, { binaryEncoding: 'base64' })).includes(
        '<InlineBinary>AgEEAw==</InlineBinary>',
      ),
    );
    assert.match(
      body(dataSetToNativeXml(ds))[8]!,
      /^<BulkData uuid="[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"\/>$/,
    );
  });
});
