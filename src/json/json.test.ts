import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../core/errors.ts';
import type { Tag } from '../core/tag.ts';
import { formatDS } from '../core/values/numbers.ts';
import { DataSet } from '../object/dataset.ts';
import { Element } from '../object/element.ts';
import { concatParts, DataSetEncoder } from '../object/writer.ts';
import { decimalText } from './from-json.ts';
import {
  bulkDataUriOf,
  DicomJsonError,
  type DicomJsonObject,
  dataSetToJson,
  type FromJsonOptions,
  jsonToDataSet,
} from './index.ts';

const b64 = (bytes: number[] | Uint8Array): string => Buffer.from(bytes).toString('base64');
const text = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('latin1');

/** JSON in, DataSet, JSON out. */
function roundTrip(json: DicomJsonObject, options?: FromJsonOptions): DicomJsonObject {
  return dataSetToJson(jsonToDataSet(json, options));
}

function asJson(value: unknown): DicomJsonObject {
  return value as DicomJsonObject;
}

function encode(ds: DataSet): Uint8Array {
  return concatParts(new DataSetEncoder().encode(ds, { explicitVR: true, littleEndian: true }));
}

describe('dataSetToJson', () => {
  it('writes keys as upper-case hex in tag order and leaves Group Length out (§F.2.2)', () => {
    const ds = new DataSet();
    ds.set(0x0010001a, 'x', 'LO');
    ds.set(0x00100010, 'Doe^John', 'PN');
    ds.set(0x00080000, [42], 'UL');
    ds.set(0x00090010, 'ACME', 'LO');
    ds.set(0x000910ab, [7], 'US');
    const json = dataSetToJson(ds);
    assert.deepEqual(Object.keys(json), ['00090010', '000910AB', '00100010', '0010001A']);
  });

  it('swaps big endian binary values to little endian InlineBinary (§F.2.7)', () => {
    const ds = new DataSet();
    const ow = new Element(0x7fe00010, 'OW', Uint8Array.of(0x01, 0x02, 0x03, 0x04), false);
    const of = new Element(0x00640009, 'OF', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), false);
    const ob = new Element(0x00420011, 'OB', Uint8Array.of(1, 2, 3, 4), false);
    const us = new Element(0x00280010, 'US', Uint8Array.of(0x01, 0x02), false);
    for (const e of [ow, of, ob, us]) ds.add(e);
    const json = dataSetToJson(ds);
    assert.equal(json['7FE00010']!.InlineBinary, b64([2, 1, 4, 3]));
    assert.equal(json['00640009']!.InlineBinary, b64([4, 3, 2, 1, 8, 7, 6, 5]));
    assert.equal(json['00420011']!.InlineBinary, b64([1, 2, 3, 4]));
    assert.deepEqual(json['00280010'], { vr: 'US', Value: [0x0102] });
    // And back: little endian bytes, same values.
    const back = jsonToDataSet(json);
    assert.deepEqual(back.bytes(0x7fe00010), Uint8Array.of(2, 1, 4, 3));
    assert.equal(back.element(0x7fe00010)!.littleEndian, true);
    assert.deepEqual(back.values(0x00280010), [0x0102]);
  });

  it('writes IS and DS as numbers, keeping text a number cannot hold as a string (§F.2.3.1)', () => {
    const ds = new DataSet();
    ds.set(0x00200037, ['1.0', '-0.0', '1e3', '.5', '+2'], 'DS');
    ds.set(0x00181110, ['9007199254740993', '1234567890.12345'], 'DS');
    ds.set(0x00181150, ['abc', ' 12 '], 'IS');
    const json = dataSetToJson(ds);
    assert.deepEqual(json['00200037']!.Value, [1, -0, 1000, 0.5, 2]);
    assert.deepEqual(json['00181110']!.Value, ['9007199254740993', 1234567890.12345]);
    assert.deepEqual(json['00181150']!.Value, ['abc', 12]);
    // Strings are accepted back as they are.
    const back = jsonToDataSet(json);
    // Padded to even length with a space (PS3.5 §7.1.1).
    assert.equal(text(back.element(0x00181110)!.bytes), '9007199254740993\\1234567890.12345 ');
    assert.equal(text(back.element(0x00181150)!.bytes), 'abc\\12');
  });

  it('writes DS numbers as formatDS does (its fast path), keeping negative zero', () => {
    const samples = [
      1,
      -1,
      0.5,
      1 / 3,
      87.09,
      -91.90546417,
      1e-4,
      9.99e-5,
      1e-10,
      123456789012345.6,
      1e15,
      1e16,
      2 ** 60,
    ];
    for (let i = 1; i < 500; i++) samples.push(i / 7, -i * 1.1e-3, i * 12345.678901);
    for (const n of samples) assert.equal(decimalText(n), formatDS(n), String(n));
    const ds = jsonToDataSet(asJson({ '00200037': { vr: 'DS', Value: [1, -0, 0] } }));
    assert.equal(text(ds.element(0x00200037)!.bytes), '1\\-0\\0');
  });

  it('writes NaN and infinities of FL and FD as strings and reads them back', () => {
    const json = asJson({ '00189219': { vr: 'FD', Value: [1.5, 'NaN', 'Infinity', '-Infinity'] } });
    const ds = jsonToDataSet(json);
    assert.deepEqual(ds.values(0x00189219), [
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    assert.deepEqual(dataSetToJson(ds), json);
  });

  it('writes a UN sequence (undefined length, read as items) as SQ', () => {
    const ds = new DataSet();
    const un = new Element(0x00191010, 'UN', undefined);
    const item = new DataSet(ds);
    item.set(0x00100010, 'A^B', 'PN');
    un.items = [item];
    ds.add(un);
    assert.deepEqual(dataSetToJson(ds), {
      '00191010': { vr: 'SQ', Value: [{ '00100010': { vr: 'PN', Value: [{ Alphabetic: 'A^B' }] } }] },
    });
  });

  it('needs a URI for values left on disk, and asks bulkDataUri for them whatever the threshold', () => {
    const ds = new DataSet();
    const e = new Element(0x7fe00010, 'OW', undefined);
    e.bulk = { offset: 1000, length: 5000, source: '/data/x.dcm', littleEndian: true };
    ds.add(e);
    assert.throws(
      () => dataSetToJson(ds),
      (error: unknown) =>
        error instanceof DicomError &&
        error.code === 'ERR_JSON' &&
        /^7FE00010: .*not in memory/.test(error.message),
    );
    const json = dataSetToJson(ds, { bulkDataUri: (el) => `file:///data/x.dcm#offset=${el.bulk!.offset}` });
    assert.deepEqual(json['7FE00010'], { vr: 'OW', BulkDataURI: 'file:///data/x.dcm#offset=1000' });
  });
});

describe('BulkDataURI out and in (§F.2.6)', () => {
  function sample(): DataSet {
    const ds = new DataSet();
    ds.set(0x00100010, 'Doe^Jane', 'PN');
    ds.set(0x00281201, new Uint8Array(2048).fill(7), 'OW');
    const seq = ds.set(0x00540016, undefined, 'SQ');
    const item = new DataSet(ds);
    item.set(0x00181072, '070000', 'TM');
    item.set(0x00091001, new Uint8Array(4000).fill(9), 'OB');
    item.set(0x00091002, new Uint8Array(16).fill(1), 'OB');
    seq.items = [new DataSet(ds), item];
    return ds;
  }

  it('writes values over the threshold as BulkDataURI and resolves them back', () => {
    const ds = sample();
    const store = new Map<string, Uint8Array>();
    const asked: string[] = [];
    const json = dataSetToJson(ds, {
      bulkDataThreshold: 1024,
      bulkDataUri: (element, path, items) => {
        const uri = `bulk/${path.map((t, i) => (i < items.length ? `${t.toString(16)}/${items[i]}` : t.toString(16))).join('/')}`;
        asked.push(uri);
        store.set(uri, ds.bytes(path[0]!) && path.length === 1 ? ds.bytes(path[0]!)! : element.bytes!);
        return uri;
      },
    });
    assert.deepEqual(asked, ['bulk/281201', 'bulk/540016/1/91001']);
    assert.deepEqual(json['00281201'], { vr: 'OW', BulkDataURI: 'bulk/281201' });
    const item = (json['00540016']!.Value as DicomJsonObject[])[1]!;
    assert.deepEqual(item['00091001'], { vr: 'OB', BulkDataURI: 'bulk/540016/1/91001' });
    assert.equal(item['00091002']!.InlineBinary, b64(new Uint8Array(16).fill(1)));
    assert.deepEqual((json['00540016']!.Value as DicomJsonObject[])[0], {});

    const resolved: [string, Tag, string][] = [];
    const back = jsonToDataSet(json, {
      resolveBulkData: (uri, tag, vr) => {
        resolved.push([uri, tag, vr]);
        return store.get(uri);
      },
    });
    assert.deepEqual(resolved, [
      ['bulk/281201', 0x00281201, 'OW'],
      ['bulk/540016/1/91001', 0x00091001, 'OB'],
    ]);
    assert.deepEqual(back.bytes(0x00281201), ds.bytes(0x00281201));
    assert.deepEqual(back.sequence(0x00540016)![1]!.bytes(0x00091001), new Uint8Array(4000).fill(9));
    // Inline again without a URI maker: same JSON as the original data set gives.
    assert.deepEqual(dataSetToJson(back), dataSetToJson(ds));
  });

  it('keeps an unresolved BulkDataURI as a reference that writes back but will not encode to bytes', () => {
    const json = asJson({
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'X' }] },
      '7FE00010': { vr: 'OW', BulkDataURI: 'https://pacs/studies/1/bulk/7FE00010' },
    });
    const ds = jsonToDataSet(json);
    const pixel = ds.element(0x7fe00010)!;
    assert.equal(pixel.bytes, undefined);
    assert.equal(bulkDataUriOf(pixel), 'https://pacs/studies/1/bulk/7FE00010');
    assert.deepEqual(dataSetToJson(ds), json);
    assert.deepEqual(dataSetToJson(ds.clone()), json);
    assert.throws(
      () => encode(ds),
      (e: unknown) => e instanceof DicomError && e.code === 'ERR_IO',
    );

    const warnings: string[] = [];
    jsonToDataSet(json, { resolveBulkData: () => undefined, onWarning: (w) => warnings.push(w) });
    assert.deepEqual(warnings, [
      "7FE00010: BulkDataURI 'https://pacs/studies/1/bulk/7FE00010' was not resolved; kept as a reference",
    ]);
  });

  it('gives encapsulated Pixel Data to bulkDataUri, else writes the encapsulated stream inline', () => {
    const ds = new DataSet();
    const pixel = new Element(0x7fe00010, 'OB', undefined);
    pixel.fragments = [new Uint8Array(0), Uint8Array.of(0xff, 0xd8, 1, 2), Uint8Array.of(3, 4, 0xff, 0xd9)];
    pixel.undefinedLength = true;
    ds.add(pixel);
    const inline = dataSetToJson(ds);
    const stream = [
      ...[0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0],
      ...[0xfe, 0xff, 0x00, 0xe0, 4, 0, 0, 0, 0xff, 0xd8, 1, 2],
      ...[0xfe, 0xff, 0x00, 0xe0, 4, 0, 0, 0, 3, 4, 0xff, 0xd9],
      ...[0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0],
    ];
    assert.deepEqual(inline['7FE00010'], { vr: 'OB', InlineBinary: b64(stream) });
    const back = jsonToDataSet(inline).element(0x7fe00010)!;
    assert.deepEqual(back.fragments, pixel.fragments);
    assert.equal(back.bytes, undefined);

    const byUri = dataSetToJson(ds, { bulkDataUri: (e) => (e.fragments ? 'frames/1' : undefined) });
    assert.deepEqual(byUri['7FE00010'], { vr: 'OB', BulkDataURI: 'frames/1' });
    const resolved = jsonToDataSet(byUri, { resolveBulkData: () => Uint8Array.from(stream) });
    assert.deepEqual(resolved.element(0x7fe00010)!.fragments, pixel.fragments);

    // Native pixel data that merely starts like an item stays native.
    const native = asJson({
      '7FE00010': { vr: 'OW', InlineBinary: b64([0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0, 1, 2]) },
    });
    assert.equal(jsonToDataSet(native).element(0x7fe00010)!.bytes?.length, 10);
  });
});

describe('values', () => {
  it('PN with three component groups (§F.2.2), UTF-8 when the JSON declares no character set', () => {
    const name = { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' };
    const json = asJson({
      '00100010': { vr: 'PN', Value: [name, { Ideographic: '山田' }, null, { Phonetic: 'やまだ' }] },
    });
    const ds = jsonToDataSet(json);
    // PS3.18 §F.2: JSON text is Unicode; ISO_IR 192 lets every string be encoded.
    assert.deepEqual(ds.values(0x00080005), ['ISO_IR 192']);
    assert.equal(
      new TextDecoder().decode(ds.element(0x00100010)!.bytes),
      'Yamada^Tarou=山田^太郎=やまだ^たろう\\=山田\\\\==やまだ ',
    );
    assert.deepEqual(dataSetToJson(ds), { '00080005': { vr: 'CS', Value: ['ISO_IR 192'] }, ...json });
  });

  it('encodes with the (0008,0005) the JSON declares, in items too, and fails when it cannot', () => {
    const json = asJson({
      '00080005': { vr: 'CS', Value: [null, 'ISO 2022 IR 87'] },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }] },
      '00081111': {
        vr: 'SQ',
        Value: [
          { '00080005': { vr: 'CS', Value: ['ISO_IR 100'] }, '00081030': { vr: 'LO', Value: ['Müller'] } },
          { '00081030': { vr: 'LO', Value: ['山田'] } },
        ],
      },
    });
    const ds = jsonToDataSet(json);
    const pn = ds.element(0x00100010)!.bytes!;
    assert.ok(pn.includes(0x1b), 'ISO 2022 escape sequence');
    const [latin, japanese] = ds.sequence(0x00081111)!;
    assert.equal(text(latin!.element(0x00081030)!.bytes), 'Müller');
    assert.ok(japanese!.element(0x00081030)!.bytes!.includes(0x1b));
    assert.deepEqual(dataSetToJson(ds), json);

    const latin1Only = asJson({
      '00080005': { vr: 'CS', Value: ['ISO_IR 100'] },
      '00081111': { vr: 'SQ', Value: [{ '00100010': { vr: 'PN', Value: [{ Alphabetic: '山田' }] } }] },
    });
    assert.throws(
      () => jsonToDataSet(latin1Only),
      (e: unknown) =>
        e instanceof DicomJsonError && e.code === 'ERR_JSON' && e.path === '00081111[0].00100010',
    );
  });

  it('adds no (0008,0005) for ASCII-only JSON', () => {
    const ds = jsonToDataSet(asJson({ '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe' }] } }));
    assert.equal(ds.has(0x00080005), false);
  });

  it('multi-valued attributes with empty values use null both ways (§F.2.5)', () => {
    const json = asJson({
      '00080008': { vr: 'CS', Value: ['ORIGINAL', null, 'AXIAL'] },
      '00081090': { vr: 'LO', Value: [null, 'B'] },
      '00200032': { vr: 'DS', Value: [1.5, null, -2] },
      '00201041': { vr: 'IS', Value: [null, 3] },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'A' }, null] },
    });
    const ds = jsonToDataSet(json);
    assert.equal(text(ds.element(0x00080008)!.bytes), 'ORIGINAL\\\\AXIAL ');
    assert.equal(text(ds.element(0x00200032)!.bytes), '1.5\\\\-2 ');
    assert.equal(text(ds.element(0x00100010)!.bytes), 'A\\');
    assert.deepEqual(dataSetToJson(ds), json);
    // "" reads as an empty value too, and comes back as null; a lone empty value is no Value.
    assert.deepEqual(
      roundTrip(
        asJson({ '00080008': { vr: 'CS', Value: ['A', ''] }, '00080050': { vr: 'SH', Value: [''] } }),
      ),
      { '00080008': { vr: 'CS', Value: ['A', null] }, '00080050': { vr: 'SH' } },
    );
  });

  it('AT as GGGGEEEE strings', () => {
    const ds = jsonToDataSet(asJson({ '00209165': { vr: 'AT', Value: ['00100010', '7fe00010'] } }));
    assert.deepEqual(ds.values(0x00209165), [0x00100010, 0x7fe00010]);
    assert.deepEqual([...ds.element(0x00209165)!.bytes!], [0x10, 0, 0x10, 0, 0xe0, 0x7f, 0x10, 0]);
    assert.deepEqual(dataSetToJson(ds), { '00209165': { vr: 'AT', Value: ['00100010', '7FE00010'] } });
  });

  it('SV and UV as numbers when safe integers, else strings (§F.2.3.1)', () => {
    const json = asJson({
      '00101001': { vr: 'SV', Value: [1, -2, '9223372036854775807', '-9223372036854775808'] },
      '00101002': { vr: 'UV', Value: [0, '18446744073709551615', 9007199254740991] },
    });
    const ds = jsonToDataSet(json);
    assert.deepEqual(ds.values(0x00101001), [1n, -2n, 2n ** 63n - 1n, -(2n ** 63n)]);
    assert.deepEqual(ds.values(0x00101002), [0n, 2n ** 64n - 1n, 9007199254740991n]);
    assert.deepEqual(dataSetToJson(ds), json);
    // Numbers given as strings come back as numbers when they fit.
    assert.deepEqual(roundTrip(asJson({ '00101001': { vr: 'SV', Value: ['42'] } })), {
      '00101001': { vr: 'SV', Value: [42] },
    });
  });

  it('empty sequences, empty items and empty attributes (§F.2.5)', () => {
    const json = asJson({
      '00081110': { vr: 'SQ' },
      '00081111': { vr: 'SQ', Value: [{}, { '00081150': { vr: 'UI', Value: ['1.2.3'] } }, {}] },
      '00100010': { vr: 'PN' },
      '00280010': { vr: 'US' },
      '7FE00010': { vr: 'OB' },
    });
    const ds = jsonToDataSet(json);
    assert.deepEqual(ds.sequence(0x00081110), []);
    const items = ds.sequence(0x00081111)!;
    assert.equal(items.length, 3);
    assert.equal(items[0]!.size, 0);
    assert.equal(items[1]!.parent, ds);
    assert.deepEqual(dataSetToJson(ds), json);
    assert.deepEqual(roundTrip(asJson({ '00081110': { vr: 'SQ', Value: [] } })), {
      '00081110': { vr: 'SQ' },
    });
  });

  it('ignores Group Length attributes in the input, with a warning (§F.2.2)', () => {
    const warnings: string[] = [];
    const ds = jsonToDataSet(
      asJson({ '00080000': { vr: 'UL', Value: [10] }, '00080060': { vr: 'CS', Value: ['CT'] } }),
      { onWarning: (w) => warnings.push(w) },
    );
    assert.deepEqual(ds.tags(), [0x00080060]);
    assert.deepEqual(warnings, ['00080000: Group Length attribute ignored']);
  });
});

describe('bad JSON input gives ERR_JSON naming the key path', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['a keyword as key', { PatientName: { vr: 'PN' } }, 'PatientName', /not a tag/],
    ['a 7-digit key', { '0010001': { vr: 'PN' } }, '0010001', /not a tag/],
    ['a key given twice', { '0010001a': { vr: 'LO' }, '0010001A': { vr: 'LO' } }, '0010001A', /twice/],
    ['an unknown VR', { '00100010': { vr: 'XX' } }, '00100010', /unknown VR "XX"/],
    ['no VR', { '00100010': { Value: ['A'] } }, '00100010', /no "vr"/],
    ['an attribute that is no object', { '00100010': 'Doe' }, '00100010', /must be an object/],
    ['Value not an array', { '00100020': { vr: 'LO', Value: 'ID' } }, '00100020', /Value must be an array/],
    [
      'Value not an array, nested',
      { '00081115': { vr: 'SQ', Value: [{ '00081150': { vr: 'UI', Value: '1.2' } }] } },
      '00081115[0].00081150',
      /Value must be an array/,
    ],
    [
      'an unknown VR, deeply nested',
      {
        '00081115': {
          vr: 'SQ',
          Value: [{}, { '0008114A': { vr: 'SQ', Value: [{ '00081150': { vr: 'ui' } }] } }],
        },
      },
      '00081115[1].0008114A[0].00081150',
      /unknown VR/,
    ],
    ['a null item', { '00081115': { vr: 'SQ', Value: [null] } }, '00081115[0]', /item must be an object/],
    [
      'Value and InlineBinary',
      { '00091001': { vr: 'OB', Value: [], InlineBinary: '' } },
      '00091001',
      /at most one/,
    ],
    ['Value for OB', { '00091001': { vr: 'OB', Value: [1, 2] } }, '00091001', /InlineBinary or BulkDataURI/],
    ['bad base64', { '00091001': { vr: 'OB', InlineBinary: 'AB*D' } }, '00091001', /base64/],
    ['US out of range', { '00280010': { vr: 'US', Value: [70000] } }, '00280010', /not an integer in/],
    ['a string for US', { '00280010': { vr: 'US', Value: ['many'] } }, '00280010', /expected a number/],
    ['a bad AT', { '00209165': { vr: 'AT', Value: ['(0010,0010)'] } }, '00209165', /GGGGEEEE/],
    ['UV below 0', { '00101002': { vr: 'UV', Value: [-1] } }, '00101002', /out of range/],
    ['IS not an integer', { '00201041': { vr: 'IS', Value: [1.5] } }, '00201041', /integer/],
    ['a backslash in a CS value', { '00080008': { vr: 'CS', Value: ['A\\B'] } }, '00080008', /holds '\\'/],
    ['two values for LT', { '00104000': { vr: 'LT', Value: ['a', 'b'] } }, '00104000', /one value/],
    ['a number for LO', { '00100020': { vr: 'LO', Value: [12] } }, '00100020', /must be a string/],
    [
      'a bad PN group',
      { '00100010': { vr: 'PN', Value: [{ alphabetic: 'x' }] } },
      '00100010',
      /group 'alphabetic'/,
    ],
    ['non-ASCII in CS', { '00080060': { vr: 'CS', Value: ['ÇT'] } }, '00080060', /default repertoire/],
    ['SQ with InlineBinary', { '00081115': { vr: 'SQ', InlineBinary: '' } }, '00081115', /sequence/],
  ];
  for (const [what, json, path, message] of cases) {
    it(what, () => {
      assert.throws(
        () => jsonToDataSet(json as DicomJsonObject),
        (e: unknown) => {
          assert.ok(e instanceof DicomJsonError, String(e));
          assert.equal(e.code, 'ERR_JSON');
          assert.equal(e.path, path);
          assert.ok(e.message.startsWith(`${path}: `), e.message);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }

  it('a data set that is not an object', () => {
    for (const json of [null, [], 'x', 3]) {
      assert.throws(
        () => jsonToDataSet(json as unknown as DicomJsonObject),
        (e: unknown) => e instanceof DicomError && e.code === 'ERR_JSON',
      );
    }
  });
});
