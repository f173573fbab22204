import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { tagToHex } from '../core/tag.ts';
import { vrInfo } from '../core/vr.ts';
import type { DataSet } from '../object/dataset.ts';
import { readDicom } from '../object/part10.ts';
import { type DicomJsonObject, dataSetToJson, dicomJsonToString, jsonToDataSet } from './index.ts';

const JSON_FIXTURES = 'test/fixtures/json';
// The shared pydicom corpus the other suites read too (test/interop); not copied a second time.
const CORPUS = 'test/fixtures/pydicom';

function readJson(name: string): DicomJsonObject {
  return JSON.parse(readFileSync(`${JSON_FIXTURES}/${name}`, 'utf8')) as DicomJsonObject;
}

function readDataSet(name: string): DataSet {
  return readDicom(new Uint8Array(readFileSync(`${CORPUS}/${name}`))).dataset;
}

/**
 * The input as dataSetToJson gives it back. Each rule is a normalisation PS3.18 asks for:
 * - an attribute whose only value is empty ("" or a PN object with no non-empty group) has
 *   Value Length 0 in DICOM, and such an attribute has no "Value" (§F.2.5);
 * - an empty value among several is null, not "" (§F.2.5);
 * - "Value": [] is an empty attribute, so no "Value" either (§F.2.5);
 * - binary numbers (US, SS, UL, SL, FL, FD, ...) have no empty value in DICOM (PS3.5 §6.2),
 *   so a null among them cannot be encoded and is dropped (with a warning).
 * Key order is not compared (deepEqual ignores it); the output is sorted (§F.2.2).
 */
function normalise(json: DicomJsonObject): DicomJsonObject {
  const out: DicomJsonObject = {};
  for (const [key, attr] of Object.entries(json)) {
    const { Value: value, ...rest } = attr;
    if (value === undefined) {
      out[key] = attr;
      continue;
    }
    let values = value;
    if (attr.vr === 'SQ') {
      values = value.map((item) => normalise(item as DicomJsonObject));
    } else {
      const isEmpty = (v: unknown): boolean =>
        v === null ||
        v === '' ||
        (attr.vr === 'PN' && typeof v === 'object' && Object.values(v!).every((g) => g === ''));
      if (vrInfo(attr.vr).kind === 'number') values = value.filter((v) => v !== null);
      else values = value.map((v) => (isEmpty(v) ? null : v));
      if (values.every((v) => v === null) && values.length <= 1) values = [];
    }
    out[key] = values.length === 0 ? rest : { ...rest, Value: values };
  }
  return out;
}

/** Element by element: same tags, VRs, decoded values; same bytes for binary VRs. */
function assertSameDataSet(actual: DataSet, expected: DataSet, path = ''): void {
  const tags = (ds: DataSet) => ds.tags().filter((t) => (t & 0xffff) !== 0);
  assert.deepEqual(
    tags(actual).map(tagToHex),
    tags(expected).map(tagToHex),
    `tags of ${path || 'top level'}`,
  );
  for (const e of expected.elements()) {
    if ((e.tag & 0xffff) === 0) continue;
    const where = `${path}${tagToHex(e.tag)}`;
    const a = actual.element(e.tag)!;
    assert.equal(a.vr, e.vr === 'UN' && e.items ? 'SQ' : e.vr, `VR of ${where}`);
    if (e.items) {
      assert.equal(a.items?.length, e.items.length, `items of ${where}`);
      for (const [i, item] of e.items.entries()) assertSameDataSet(a.items![i]!, item, `${where}[${i}].`);
      continue;
    }
    if (e.fragments) {
      assert.deepEqual(a.fragments, e.fragments, `fragments of ${where}`);
      continue;
    }
    assert.deepEqual(actual.values(e.tag), expected.values(e.tag), `values of ${where}`);
    if (vrInfo(e.vr).kind === 'bytes')
      assert.deepEqual(actual.bytes(e.tag), expected.bytes(e.tag), `bytes of ${where}`);
  }
}

describe('DICOM JSON round trips', () => {
  for (const name of ['test1.json', 'test_PN.json']) {
    it(`${name}: JSON -> DataSet -> JSON gives the input back (PS3.18 §F.2.5 normalisations)`, () => {
      const input = readJson(name);
      const warnings: string[] = [];
      const ds = jsonToDataSet(input, { onWarning: (w) => warnings.push(w) });
      const output = dataSetToJson(ds);
      assert.deepEqual(output, normalise(input));
      // And once normalised, the round trip is exact, through JSON text too. (Compared as text:
      // JSON.stringify writes the -0.0 of test1.json's (0020,0037) as 0.)
      const text = dicomJsonToString(output);
      assert.equal(dicomJsonToString(dataSetToJson(jsonToDataSet(JSON.parse(text)))), text);
      if (name === 'test1.json') {
        assert.deepEqual(warnings, ['00181310: value 5 is null: dropped, US has no empty value']);
        // BulkDataURI "" without a resolver stays a reference and is written back.
        assert.deepEqual(output['7FE00010'], { vr: 'OW', BulkDataURI: '' });
      } else {
        assert.deepEqual(warnings, []);
      }
    });
  }

  it('CT_small.dcm -> JSON -> DataSet equals the original element by element', () => {
    const original = readDataSet('CT_small.dcm');
    const json = dataSetToJson(original);
    // Private creators and private elements are part of the model (§F.2.2, PS3.5 §7.8.1).
    assert.deepEqual(json['00090010'], { vr: 'LO', Value: ['GEMS_IDEN_01'] });
    assert.deepEqual(json['00091027'], { vr: 'SL', Value: [862399669] });
    assert.deepEqual(json['00101030'], { vr: 'DS', Value: [0] });
    assert.deepEqual(json['00080050'], { vr: 'SH' });
    assert.equal(typeof json['7FE00010']!.InlineBinary, 'string');
    assertSameDataSet(jsonToDataSet(json), original);
    // Through JSON text as well, as a web client would get it.
    assertSameDataSet(jsonToDataSet(JSON.parse(JSON.stringify(json))), original);
  });

  it('a big endian file gives the same JSON as its little endian twin (InlineBinary is little endian)', () => {
    const little = dataSetToJson(readDataSet('MR_small.dcm'));
    const big = dataSetToJson(readDataSet('MR_small_bigendian.dcm'));
    // Data Set Trailing Padding (FFFC,FFFC) is only in the little endian file.
    delete little.FFFCFFFC;
    assert.deepEqual(big, little);
    assert.equal(typeof big['7FE00010']!.InlineBinary, 'string');
  });

  it('encapsulated Pixel Data keeps its fragments through InlineBinary', () => {
    const original = readDataSet('JPEG2000.dcm');
    assert.ok(original.element(0x7fe00010)!.fragments);
    const json = dataSetToJson(original);
    const inline = Buffer.from(json['7FE00010']!.InlineBinary!, 'base64');
    // The encapsulated stream of PS3.5 §A.4: starts with an Item, ends with the delimiter.
    assert.deepEqual([...inline.subarray(0, 4)], [0xfe, 0xff, 0x00, 0xe0]);
    assert.deepEqual([...inline.subarray(-8)], [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
    const back = jsonToDataSet(json);
    assert.equal(back.element(0x7fe00010)!.undefinedLength, true);
    assertSameDataSet(back, original);
  });

  it('dicomJsonToString writes what JSON.stringify writes, but in tag order at every level', () => {
    const json = dataSetToJson(readDataSet('CT_small.dcm'));
    assert.equal(dicomJsonToString(json), JSON.stringify(json));
    assert.equal(dicomJsonToString(json, 2), JSON.stringify(json, null, 2));
    assert.equal(dicomJsonToString([json, json], 1), JSON.stringify([json, json], null, 1));
    // '30060020' looks like an array index, so JavaScript enumerates it first (§F.2.2 wants tag order).
    const rt = {
      '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.481.3'] },
      '30060020': {
        vr: 'SQ',
        Value: [{ '30060028': { vr: 'LO', Value: ['x'] }, '30060022': { vr: 'IS', Value: [1] } }],
      },
    } as DicomJsonObject;
    assert.ok(JSON.stringify(rt).startsWith('{"30060020"'));
    assert.equal(
      dicomJsonToString(rt),
      '{"00080016":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.481.3"]},' +
        '"30060020":{"vr":"SQ","Value":[{"30060022":{"vr":"IS","Value":[1]},"30060028":{"vr":"LO","Value":["x"]}}]}}',
    );
  });
});
