import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DicomParseError } from '../core/errors.ts';
import type { Tag } from '../core/tag.ts';
import type { VR } from '../core/vr.ts';
import type { ParseHandler } from './handler.ts';
import { DicomParser, type ParserOptions } from './parser.ts';

function hex(text: string): Uint8Array {
  const clean = text.replace(/#.*$/gm, '').replace(/\s+/g, '');
  return new Uint8Array(clean.match(/../g)!.map((b) => Number.parseInt(b, 16)));
}

/** Records events as readable strings, so a test reads like the stream it checks. */
class Recorder implements ParseHandler {
  events: string[] = [];
  chunks: Uint8Array[] = [];
  element(
    tag: Tag,
    vr: VR,
    value: Uint8Array | undefined,
    offset: number,
    valueOffset: number,
    length: number,
  ): void {
    const v = value ? Buffer.from(value).toString('hex') : `bulk@${valueOffset}+${length}`;
    this.events.push(`${tag.toString(16).padStart(8, '0')} ${vr} ${v} @${offset}`);
  }
  sequenceStart(tag: Tag, vr: VR, length: number): void {
    this.events.push(
      `seq ${tag.toString(16).padStart(8, '0')} ${vr} ${length === 0xffffffff ? 'u/l' : length}`,
    );
  }
  itemStart(length: number): void {
    this.events.push(`item ${length === 0xffffffff ? 'u/l' : length}`);
  }
  itemEnd(): void {
    this.events.push('/item');
  }
  sequenceEnd(): void {
    this.events.push('/seq');
  }
  encapsulatedStart(tag: Tag): void {
    this.events.push(`pixels ${tag.toString(16)}`);
  }
  fragment(value: Uint8Array | undefined, _offset: number, valueOffset: number, length: number): void {
    this.events.push(`frag ${value ? Buffer.from(value).toString('hex') : `bulk@${valueOffset}+${length}`}`);
  }
  encapsulatedEnd(): void {
    this.events.push('/pixels');
  }
  bulkChunk(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
  }
}

const EXPLICIT_LE: ParserOptions = { explicitVR: true, littleEndian: true };
const IMPLICIT_LE: ParserOptions = { explicitVR: false, littleEndian: true };

function parse(bytes: Uint8Array, options: ParserOptions, split?: number): string[] {
  const recorder = new Recorder();
  const parser = new DicomParser(recorder, options);
  if (split === undefined) parser.write(bytes);
  else {
    parser.write(bytes.subarray(0, split));
    parser.write(bytes.subarray(split));
  }
  parser.end();
  return recorder.events;
}

// Explicit VR little endian: a short string, a sequence of undefined length with one item
// of undefined length, then a defined-length sequence with one defined-length item.
const NESTED = hex(`
  08000500 4353 0a00 49534f5f495220313030          # (0008,0005) CS "ISO_IR 100"
  10001000 504e 0400 446f655e                      # (0010,0010) PN "Doe^"
  08001511 5351 0000 ffffffff                      # (0008,1115) SQ undefined length
    feff00e0 ffffffff                              #   item, undefined length
      08005011 5549 0400 312e3200                  #     (0008,1150) UI "1.2\\0"
    feff0de0 00000000                              #   item delimitation
  feffdde0 00000000                                # sequence delimitation
  32004010 5351 0000 00000000                      # (0032,1040) SQ, length set in the test
    feff00e0 00000000                              #   item, length set in the test
      28001000 5553 0200 0002                      #     (0028,0010) US 512
      28001100 5553 0200 0001                      #     (0028,0011) US 256
`);

describe('DicomParser', () => {
  test('explicit VR LE elements and nested sequences', () => {
    // The defined-length sequence holds one item of two 10-byte elements.
    const bytes = NESTED.slice();
    const view = new DataView(bytes.buffer);
    const seqAt = bytes.length - 12 - 8 - 20;
    view.setUint32(seqAt + 8, 8 + 20, true);
    view.setUint32(seqAt + 16, 20, true);
    const events = parse(bytes, EXPLICIT_LE);
    assert.deepEqual(events, [
      '00080005 CS 49534f5f495220313030 @0',
      '00100010 PN 446f655e @18',
      'seq 00081115 SQ u/l',
      'item u/l',
      '00081150 UI 312e3200 @50',
      '/item',
      '/seq',
      'seq 00321040 SQ 28',
      'item 20',
      '00280010 US 0002 @98',
      '00280011 US 0001 @108',
      '/item',
      '/seq',
    ]);
    // Fed in two pieces split at every offset, the events are the same.
    for (let split = 1; split < bytes.length; split++) {
      assert.deepEqual(parse(bytes, EXPLICIT_LE, split), events, `split at ${split}`);
    }
  });

  test('implicit VR takes VRs from the dictionary, US or SS from Pixel Representation', () => {
    const bytes = hex(`
      28000301 02000000 0100     # (0028,0103) PixelRepresentation = 1
      28000601 02000000 feff     # (0028,0106) SmallestImagePixelValue -> SS
      e07f1000 04000000 01020304 # (7FE0,0010) PixelData -> OW in implicit VR
    `);
    assert.deepEqual(parse(bytes, IMPLICIT_LE), [
      '00280103 US 0100 @0',
      '00280106 SS feff @10',
      '7fe00010 OW 01020304 @20',
    ]);
  });

  test('private elements in implicit VR get their VR through the private creator', () => {
    const bytes = hex(`
      09001000 0c000000 47454d535f4944454e5f3031   # (0009,0010) LO GEMS_IDEN_01
      09002710 04000000 01000000                   # (0009,1027) SL in GE's dictionary
      09009910 02000000 abcd                       # (0009,1099) not in it: UN
    `);
    const events = parse(bytes, IMPLICIT_LE);
    assert.equal(events[0], '00090010 LO 47454d535f4944454e5f3031 @0');
    assert.equal(events[1], '00091027 SL 01000000 @20');
    assert.equal(events[2], '00091099 UN abcd @32');
  });

  test('UN of undefined length is parsed as implicit VR little endian (PS3.5 §6.2.2)', () => {
    const bytes = hex(`
      09001000 4c4f 0400 41434d45    # (0009,0010) LO ACME
      09000110 554e 0000 ffffffff    # (0009,1001) UN undefined length
        feff00e0 ffffffff
          10001000 04000000 446f655e # implicit: (0010,0010) PN
        feff0de0 00000000
      feffdde0 00000000
    `);
    assert.deepEqual(parse(bytes, EXPLICIT_LE), [
      '00090010 LO 41434d45 @0',
      'seq 00091001 UN u/l',
      'item u/l',
      '00100010 PN 446f655e @32',
      '/item',
      '/seq',
    ]);
  });

  test('encapsulated pixel data: offset table and fragments', () => {
    const bytes = hex(`
      e07f1000 4f42 0000 ffffffff
        feff00e0 04000000 00000000   # basic offset table
        feff00e0 06000000 ffd8ff000000
      feffdde0 00000000
    `);
    assert.deepEqual(parse(bytes, EXPLICIT_LE), [
      'pixels 7fe00010',
      'frag 00000000',
      'frag ffd8ff000000',
      '/pixels',
    ]);
  });

  test('explicit VR big endian', () => {
    const bytes = hex('0028 0010 5553 0002 0200 0028 0030 4453 0004 312e3520');
    assert.deepEqual(parse(bytes, { explicitVR: true, littleEndian: false }), [
      '00280010 US 0200 @0',
      '00280030 DS 312e3520 @10',
    ]);
  });

  test('stops before a tag and reports where', () => {
    const recorder = new Recorder();
    const parser = new DicomParser(recorder, { ...EXPLICIT_LE, stopAtTag: 0x7fe00010 });
    parser.write(hex('28001000 5553 0200 0002 e07f1000 4f57 0000 04000000 01020304'));
    assert.equal(parser.stopped, true);
    assert.equal(parser.offset, 10);
    assert.deepEqual(recorder.events, ['00280010 US 0002 @0']);
  });

  test('stops after a top-level element, a sequence with all its items (DCMTK +st)', () => {
    const recorder = new Recorder();
    const parser = new DicomParser(recorder, { ...EXPLICIT_LE, stopAfterTag: 0x00081115 });
    parser.write(NESTED);
    assert.equal(parser.stopped, true);
    assert.deepEqual(recorder.events.slice(2), [
      'seq 00081115 SQ u/l',
      'item u/l',
      '00081150 UI 312e3200 @50',
      '/item',
      '/seq',
    ]);
    // A tag inside an item does not stop the parser; an absent one lets it read to the end.
    const nested = new Recorder();
    const reader = new DicomParser(nested, { ...EXPLICIT_LE, stopAfterTag: 0x00081150 });
    reader.write(NESTED.subarray(0, 70));
    reader.end();
    assert.equal(reader.stopped, false);
    assert.equal(nested.events.at(-1), '/seq');
  });

  test('bulk values are byte ranges, passed over or streamed without buffering', () => {
    const bytes = hex(
      '28001000 5553 0200 0002 e07f1000 4f57 0000 08000000 0102030405060708 fcff fcff 4f42 0000 00000000',
    );
    const recorder = new Recorder();
    const parser = new DicomParser(recorder, { ...EXPLICIT_LE, bulkDataThreshold: 4, streamBulkData: true });
    for (let i = 0; i < bytes.length; i += 5) parser.write(bytes.subarray(i, i + 5));
    parser.end();
    assert.equal(recorder.events[1], '7fe00010 OW bulk@22+8 @10');
    assert.equal(recorder.events[2], 'fffcfffc OB  @30');
    assert.equal(Buffer.concat(recorder.chunks).toString('hex'), '0102030405060708');

    // A reader that owns the source seeks past the value instead of feeding it.
    const skipping = new Recorder();
    const p2 = new DicomParser(skipping, { ...EXPLICIT_LE, bulkDataThreshold: 4 });
    p2.write(bytes.subarray(0, 24));
    assert.equal(p2.pendingSkip, 6);
    p2.skipped(6);
    p2.write(bytes.subarray(30));
    p2.end();
    assert.deepEqual(skipping.events, recorder.events);
  });

  test('a truncated value is a typed error with the byte offset', () => {
    const recorder = new Recorder();
    const parser = new DicomParser(recorder, EXPLICIT_LE);
    parser.write(hex('28001000 5553 0200 0002 10001000 504e 0800 446f'));
    assert.throws(
      () => parser.end(),
      (error: unknown) =>
        error instanceof DicomParseError && error.code === 'ERR_UNEXPECTED_END' && error.offset === 10,
    );
  });

  test('an element running past its item is malformed at its offset', () => {
    const bytes = hex(`
      08001511 5351 0000 10000000
        feff00e0 08000000
          10001000 504e 0800 446f655e20202020
    `);
    assert.throws(
      () => parse(bytes, EXPLICIT_LE),
      (error: unknown) => error instanceof DicomParseError && error.code === 'ERR_MALFORMED',
    );
  });

  test('a hostile length beyond the limit fails fast instead of allocating', () => {
    const recorder = new Recorder();
    const parser = new DicomParser(recorder, { ...EXPLICIT_LE, maxValueLength: 1024 });
    assert.throws(
      () => parser.write(hex('e07f1000 4f42 0000 ffffff7f 00')),
      (error: unknown) => error instanceof DicomParseError && error.code === 'ERR_VALUE_TOO_LARGE',
    );
  });
});
