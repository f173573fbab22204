/**
 * `dicomkit xml` against DCMTK's dcm2xml and `dicomkit findscu -Xx / -Xs` against DCMTK's
 * findscu: byte for byte, for every file of the pydicom corpus dcm2xml reads, for crafted data
 * sets that hold the corner cases (padding, escaping, empty values, number formats, PN
 * components, sequences of both lengths, big endian), and for C-FIND responses in several
 * character sets from one dicomkit SCP. Where the outputs differ, the test says why and checks
 * what ours holds instead: nothing is skipped silently.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { translateDcmtkArgs } from '../../src/cli/common/dcmtk-args.ts';
import { XML_ALIASES, xmlCommand } from '../../src/cli/xml.ts';
import type { Tag } from '../../src/core/tag.ts';
import type { VR } from '../../src/core/vr.ts';
import { writeDicomFile } from '../../src/object/file.node.ts';
import { DataSet, Element } from '../../src/object/index.ts';
import { ApplicationEntity, type DicomServer } from '../../src/services/index.ts';
import { runTool, TOOLS } from '../helpers/cli-runs.ts';
import { freePort } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';

requirePeer('dcm2xml');
requirePeer('findscu');

const CORPUS = resolve('test/fixtures/pydicom');
const BIN = resolve('bin/dicomkit.js');
const work = mkdtempSync(join(tmpdir(), 'dicomkit-cli-xml-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** dcm2xml's option sets compared: both formats, binary data hidden, hex and Base64, UTF-8. */
const MODES: readonly (readonly string[])[] = [
  [],
  ['-Wn'],
  ['+Wb'],
  ['+Wb', '+Eb'],
  ['+M', '+Wb', '+Eb'],
  ['+Xn', '+Xd'],
  ['-nat'],
  ['-nat', '+Eb'],
  ['-nat', '+Xn'],
  ['+U8'],
  ['-nat', '+U8'],
];

interface Run {
  status: number;
  out: Buffer;
}

/** DCMTK's dcm2xml writing to a file (its output is bytes in the encoding it declares). */
function dcm2xml(args: readonly string[], input: string, name: string): Run {
  const out = join(work, `${name}.dcmtk.xml`);
  rmSync(out, { force: true });
  const r = spawnSync('dcm2xml', [...args, input, out], { encoding: 'latin1', timeout: 30_000 });
  return { status: r.status ?? -1, out: existsSync(out) ? readFileSync(out) : Buffer.alloc(0) };
}

/**
 * `dicomkit xml` in this process: the command main.ts registers, with DCMTK's spellings
 * translated as main.ts does (spawning node for each of the ~1,000 runs would take minutes;
 * the tests at the end run bin/dicomkit.js itself).
 */
async function dicomkitXml(args: readonly string[], input: string, name: string): Promise<Run> {
  const out = join(work, `${name}.dicomkit.xml`);
  rmSync(out, { force: true });
  const command = xmlCommand().exitOverride();
  const takesValue = (long: string) =>
    command.options.some((o) => o.long === long && (o.required || o.optional));
  const saved = process.exitCode;
  process.exitCode = 0;
  try {
    await command.parseAsync([...translateDcmtkArgs(['-q', ...args], XML_ALIASES, takesValue), input, out], {
      from: 'user',
    });
    return {
      status: Number(process.exitCode ?? 0),
      out: existsSync(out) ? readFileSync(out) : Buffer.alloc(0),
    };
  } finally {
    process.exitCode = saved;
  }
}

/**
 * What may differ for a stated reason: BulkData UUIDs are random (DCMTK's and ours), and the
 * names of private elements come from DCMTK's private.dic in dcm2xml and from our
 * data/private.tsv in ours, which spell them differently ('FullFidelity', 'Fullfidelity').
 * -Wn leaves names out, so that mode is compared with nothing masked but UUIDs.
 */
function masked(xml: Buffer): string {
  return xml
    .toString('latin1')
    .replace(/uuid="[0-9a-f-]{36}"/g, 'uuid="*"')
    .replace(
      /(<(?:element|sequence) tag="[0-9a-f]{3}[13579bdf],(?!00)[0-9a-f]{4}"[^>]*?) name="[^"]*"/g,
      '$1 name="*"',
    );
}

function firstDifference(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  let i = 0;
  while (i < al.length && al[i] === bl[i]) i++;
  return `line ${i + 1}:\n  dcm2xml:  ${al[i]?.slice(0, 300)}\n  dicomkit: ${bl[i]?.slice(0, 300)}`;
}

/** The files of the corpus: every file of the folder and of its charset folder. */
const FILES = [
  ...readdirSync(CORPUS).filter((n) => !['charset', 'dicomdirtests'].includes(n)),
  ...readdirSync(join(CORPUS, 'charset')).map((n) => `charset/${n}`),
].sort();

/** Files neither reads: not DICOM, or damaged. Both must refuse them with dcm2xml's exit code 5. */
const REFUSED_BY_BOTH = new Set([
  'MR_truncated.dcm',
  'README.txt',
  'charset/FileInfo.txt',
  'no_meta.dcm',
  'rtplan.dump',
  'rtplan_truncated.dcm',
  'rtstruct.dump',
  'test1.json',
  'test_PN.json',
]);

/** Files dcm2xml refuses and we read, and why; each is checked otherwise below. */
const READ_BY_US_ONLY: Record<string, string> = {
  'zipMR.gz':
    'gzip-compressed; dicomkit reads gzip files, DCMTK does not (compared with dcm2xml of the inflated file)',
  'SC_rgb_jpeg.dcm':
    'its data set is implicit VR although the meta information says JPEG Baseline; dicomkit reads it so, as pydicom does, dcm2xml stops at the first element',
};

/**
 * Files whose (0008,0005) dcm2xml has no XML encoding for (ISO 2022 code extensions, GB18030),
 * or with an item in another character set than the data set: dcm2xml writes one character
 * reference per byte of the encoded text (naming the wrong characters, and ESC, which is not
 * a legal XML 1.0 character) or the bytes as they are in a document that says UTF-8; we write
 * the decoded characters. Every other line must be the same; the names here must be ours.
 */
const DECODED_BY_US: Record<string, string> = {
  'charset/chrH31.dcm': 'Yamada^Tarou=山田^太郎=やまだ^たろう',
  'charset/chrH32.dcm': 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
  'charset/chrI2.dcm': 'Hong^Gildong=洪^吉洞=홍^길동',
  'charset/chrJapMulti.dcm': 'やまだ^たろう',
  'charset/chrJapMultiExplicitIR6.dcm': 'やまだ^たろう',
  'charset/chrKoreanMulti.dcm': '김희중',
  'charset/chrSQEncoding.dcm': 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
  'charset/chrSQEncoding1.dcm': 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
  'charset/chrX2.dcm': 'Wang^XiaoDong=王^小东=',
};

/**
 * +U8 where dcm2xml cannot convert: DCMTK's iconv (glibc) has no ISO 2022 IR 87, and
 * chrSQEncoding's item is not UTF-8 as its data set says. We convert them.
 */
const CONVERTED_BY_US_ONLY = new Set([
  'J2K_pixelrep_mismatch.dcm',
  'charset/chrH31.dcm',
  'charset/chrH32.dcm',
  'charset/chrJapMulti.dcm',
  'charset/chrJapMultiExplicitIR6.dcm',
  'charset/chrSQEncoding.dcm',
  'charset/chrSQEncoding1.dcm',
]);

/** Character references resolved, so that a line can be compared with the text it holds. */
function unreferenced(line: string): string {
  return line.replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
}

describe('dicomkit xml: byte for byte dcm2xml on the pydicom corpus', () => {
  test('every file, both formats, binary hidden, hex and Base64, UTF-8 conversion', {
    timeout: 300_000,
  }, async () => {
    let identical = 0;
    const seen = new Set<string>();
    for (const file of FILES) {
      const input = join(CORPUS, file);
      const tag = file.replace(/\W/g, '_');
      for (const mode of MODES) {
        const name = `${tag}${mode.join('')}`.replace(/\W/g, '_');
        const what = `${file} [${mode.join(' ')}]`;
        const theirs = dcm2xml(mode, input, name);
        const ours = await dicomkitXml(mode, input, name);
        if (REFUSED_BY_BOTH.has(file)) {
          assert.equal(theirs.status, 5, `${what}: dcm2xml refuses it`);
          assert.equal(ours.status, 5, `${what}: so do we, with the same exit code`);
          seen.add(file);
          continue;
        }
        if (file in READ_BY_US_ONLY) {
          assert.equal(theirs.status, 5, `${what}: dcm2xml refuses it`);
          assert.equal(ours.status, 0, `${what}: ${READ_BY_US_ONLY[file]}`);
          seen.add(file);
          continue;
        }
        if (mode.includes('+U8') && CONVERTED_BY_US_ONLY.has(file)) {
          assert.equal(theirs.status, 4, `${what}: dcm2xml cannot convert it`);
          assert.equal(ours.status, 0, `${what}: we can`);
          assert.match(ours.out.toString('utf8'), /^<\?xml version="1.0" encoding="UTF-8"\?>/);
          assert.match(ours.out.toString('utf8'), /ISO_IR 192/);
          continue;
        }
        assert.equal(ours.status, theirs.status, `${what}: exit code`);
        assert.equal(theirs.status, 0, `${what}: dcm2xml reads it`);
        const a = masked(theirs.out);
        const b = masked(ours.out);
        if (file in DECODED_BY_US && !mode.includes('+U8')) {
          const expected = DECODED_BY_US[file]!;
          // One unit per line, a Native DICOM Model PersonName as one (dcm2xml splits the
          // bytes of a name on '^' bytes inside two-byte characters, so its lines differ).
          const units = (xml: string) =>
            xml
              .replace(/<PersonName number="\d+">\n[\s\S]*?<\/PersonName>/g, (block) =>
                block.replace(/\n/g, '\u0001'),
              )
              .split('\n');
          const al = units(a);
          const bl = units(b);
          assert.equal(bl.length, al.length, `${what}: the same lines`);
          let differing = 0;
          for (let i = 0; i < al.length; i++) {
            if (al[i] === bl[i]) continue;
            differing++;
            // The start tags (tag, VR, VM, length, name) are the same; only the text differs,
            // and ours holds no byte-wise references to ESC.
            assert.equal(bl[i]!.split('>')[0], al[i]!.split('>')[0], `${what}: line ${i + 1}`);
            assert.match(
              al[i]!,
              /&#27;|&#(1[2-9]\d|2[0-5]\d);|[\x80-\xff]/,
              `${what}: dcm2xml's line ${i + 1}`,
            );
            assert.doesNotMatch(bl[i]!, /&#27;/, `${what}: line ${i + 1}`);
          }
          assert.ok(differing > 0, `${what}: dcm2xml's text is byte-wise here`);
          const text = unreferenced(ours.out.toString(/encoding="UTF-8"/.test(b) ? 'utf8' : 'latin1'));
          if (mode.includes('-nat')) {
            // The family name of the first component group that is not ASCII.
            const group = expected.split('=').find((g) => /[^\x20-\x7e]/.test(g))!;
            const family = group.split('^')[0]!;
            assert.ok(text.includes(`<FamilyName>${family}</FamilyName>`), `${what}: ${family}`);
          } else {
            assert.ok(text.includes(`>${expected}</element>`), `${what}: ${expected}`);
          }
          seen.add(file);
          continue;
        }
        assert.ok(a === b, `${what}: ${firstDifference(a, b)}`);
        if (mode.includes('-Wn')) assert.ok(theirs.out.toString('latin1') === ours.out.toString('latin1'));
        identical++;
        seen.add(file);
      }
    }
    // Every file was looked at, and most comparisons were byte for byte.
    assert.deepEqual([...seen].sort(), FILES);
    assert.ok(identical > 0.7 * FILES.length * MODES.length, `${identical} identical outputs`);
  });

  test('-f (--read-dataset): files without meta information as a bare <data-set>', async () => {
    for (const file of ['ExplVR_BigEndNoMeta.dcm', 'ExplVR_LitEndNoMeta.dcm', 'rtstruct.dcm']) {
      for (const mode of [['-f'], ['-f', '+Xd', '+Xn', '+Wb'], ['-f', '-nat']]) {
        const name = `${file}${mode.join('')}`.replace(/\W/g, '_');
        const theirs = dcm2xml(mode, join(CORPUS, file), name);
        const ours = await dicomkitXml(mode, join(CORPUS, file), name);
        assert.equal(theirs.status, 0);
        assert.equal(ours.status, 0);
        assert.equal(masked(ours.out), masked(theirs.out), `${file} [${mode.join(' ')}]`);
      }
    }
    // A file with meta information is not a bare data set: both refuse it.
    const ct = join(CORPUS, 'CT_small.dcm');
    assert.equal(dcm2xml(['-f'], ct, 'ct-f').status, 5);
    assert.equal((await dicomkitXml(['-f'], ct, 'ct-f')).status, 5);
  });

  test('zipMR.gz: the same as dcm2xml of the inflated file', async () => {
    const inflated = join(work, 'zipMR.dcm');
    writeFileSync(inflated, gunzipSync(readFileSync(join(CORPUS, 'zipMR.gz'))));
    for (const mode of [[], ['-nat', '+Eb']]) {
      const theirs = dcm2xml(mode, inflated, `zip${mode.join('')}`);
      const ours = await dicomkitXml(mode, join(CORPUS, 'zipMR.gz'), `zip${mode.join('')}`);
      assert.equal(theirs.status, 0);
      assert.equal(ours.status, 0);
      assert.equal(masked(ours.out), masked(theirs.out));
    }
  });

  test('SC_rgb_jpeg.dcm: read as the implicit VR data set it is', async () => {
    const ours = await dicomkitXml([], join(CORPUS, 'SC_rgb_jpeg.dcm'), 'scjpeg');
    assert.equal(ours.status, 0);
    const xml = ours.out.toString('latin1');
    assert.match(
      xml,
      /<element tag="0028,0004" vr="CS" vm="1" len="4" name="PhotometricInterpretation">RGB<\/element>/,
    );
    assert.match(xml, /<sequence tag="7fe0,0010" vr="OB" card="2" name="PixelData">\n<pixel-item len="0"/);
  });
});

// ---------------------------------------------------------------------------------------------

/** Bytes one per character code: the crafted values spell ISO 8859 bytes as \xNN. */
const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

function put(ds: DataSet, tag: Tag, vr: VR, value: string | Uint8Array): void {
  ds.add(new Element(tag, vr, typeof value === 'string' ? bytesOf(value) : value));
}

function numbers(kind: 'f32' | 'f64', values: number[]): Uint8Array {
  const size = kind === 'f32' ? 4 : 8;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (kind === 'f32') view.setFloat32(i * size, v, true);
    else view.setFloat64(i * size, v, true);
  });
  return out;
}

function sequence(ds: DataSet, tag: Tag, items: DataSet[], undefinedLength: boolean): void {
  const element = new Element(tag, 'SQ', undefined);
  element.items = items;
  element.undefinedLength = undefinedLength;
  for (const item of items) item.parent = ds;
  ds.add(element);
}

/**
 * A data set of corner cases, values given as the bytes a file holds: padding in every VR,
 * markup characters, CR LF, TAB and NUL, empty values among several, PN with components and
 * groups (and DCMTK's repeating of an empty group), numbers in DCMTK's formats, all binary VRs,
 * private elements, sequences and items of defined and undefined length, an empty sequence.
 */
function crafted(charset: string | undefined): DataSet {
  const ds = new DataSet();
  if (charset !== undefined) put(ds, 0x00080005, 'CS', charset.length & 1 ? `${charset} ` : charset);
  const latin = charset === 'ISO_IR 100';
  put(ds, 0x00080008, 'CS', ' ORIGINAL \\ PRIMARY\\\\AXIAL  ');
  put(ds, 0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7\0');
  put(ds, 0x00080018, 'UI', '1.2.3.4 \0\0\0');
  put(ds, 0x00080020, 'DA', '20240101\\\\');
  put(ds, 0x00080050, 'SH', '  ');
  put(ds, 0x00080060, 'CS', 'OT');
  put(ds, 0x00080070, 'LO', ' <a & "b"> \'c\'  ');
  put(ds, 0x00080080, 'LO', 'TAB\there\0\0');
  put(ds, 0x00080090, 'PN', 'Doe^John^Q^Dr^Jr^x\\=Yama^Taro\\\\Only^ ');
  put(ds, 0x0008010d, 'UC', 'uc value \\ two  ');
  put(ds, 0x00080120, 'UR', 'http://x/?a=1&b=2 ');
  put(ds, 0x00080201, 'SH', '+0100 ');
  put(ds, 0x00081030, 'LO', latin ? 'Caf\xe9 cr\xe8me' : 'plain ');
  put(ds, 0x00081040, 'LO', '\\ ');
  put(ds, 0x00081050, 'PN', '^^=^');
  put(ds, 0x00081070, 'PN', 'A^B=C^D=E^F\\=G\\H==I ');
  put(ds, 0x00090010, 'LO', 'MY CREATOR');
  put(ds, 0x00091001, 'UN', Uint8Array.from([9, 8, 7, 6]));
  put(ds, 0x00100010, 'PN', latin ? 'M\xfcller^J\xfcrgen ' : 'Muller^Jurgen ');
  put(ds, 0x00100020, 'LO', 'ID\\2  ');
  put(ds, 0x00100030, 'DA', '');
  put(ds, 0x00101010, 'AS', '042Y');
  put(ds, 0x00101030, 'DS', ' 70.5 \\ 1e3  ');
  put(ds, 0x00102000, 'LT', 'line1\r\nline2 \\ back   ');
  put(ds, 0x00104000, 'LT', '    ');
  put(ds, 0x00180050, 'DS', '  ');
  put(ds, 0x00180088, 'DS', '-0.5');
  put(ds, 0x00186020, 'SL', Uint8Array.from([0, 0, 0, 0x80]));
  put(
    ds,
    0x00189219,
    'FD',
    numbers('f64', [
      0,
      -0,
      1.5,
      1e-10,
      1.2345678901234568e20,
      Math.PI,
      -2.5e-300,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      0.1,
      1e17 - 16,
      5.00000001,
    ]),
  );
  put(
    ds,
    0x00189220,
    'FL',
    numbers('f32', [0.1, -3.25, 1e20, 7e-6, 65504, 1 / 3, 16777216, 0.0001, 999999999]),
  );
  put(ds, 0x00200013, 'IS', ' 12 ');
  // Longer than dcm2xml's 4 KB: it loads text anyway (it counts the values).
  put(ds, 0x00204000, 'LT', `${'x'.repeat(5000)}&`);
  put(ds, 0x00209057, 'UL', Uint8Array.from([0xff, 0xff, 0xff, 0xff]));
  put(ds, 0x00209165, 'AT', Uint8Array.from([0x10, 0, 0x10, 0, 0x08, 0, 0x05, 0]));
  put(ds, 0x00280010, 'US', Uint8Array.from([0x10, 0]));
  put(ds, 0x00280106, 'SS', Uint8Array.from([0xff, 0xff, 0, 0x80]));
  put(ds, 0x00281050, 'DS', '40\\');
  put(ds, 0x00281201, 'OW', Uint8Array.from([1, 2, 3, 4]));
  // Over 4 KB: dcm2xml shows it loaded="no" unless +M.
  put(
    ds,
    0x00283006,
    'US',
    Uint8Array.from({ length: 8192 }, (_, i) => i & 0xff),
  );
  put(ds, 0x0040a30a, 'DS', '1\\2 ');
  put(ds, 0x00420011, 'OB', Uint8Array.from([0, 1, 2, 0xff]));
  put(ds, 0x00660016, 'OF', numbers('f32', [0.1, 2.5, -1e-7]));
  put(ds, 0x00660017, 'OD', numbers('f64', [0.1, 1 / 3]));
  put(ds, 0x00660040, 'OL', Uint8Array.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
  put(ds, 0x00660070, 'OV', Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  put(ds, 0x00720082, 'SV', Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0x80]));
  put(ds, 0x00720083, 'UV', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  const code = new DataSet();
  put(code, 0x00080100, 'SH', 'C1');
  put(code, 0x00080104, 'LO', 'meaning ');
  const nested = new DataSet();
  put(nested, 0x00080100, 'SH', 'N ');
  nested.undefinedLength = true;
  sequence(code, 0x00400220, [nested], true);
  sequence(ds, 0x00081032, [code, new DataSet()], false);
  sequence(ds, 0x00081115, [], false);
  const referenced = new DataSet();
  put(referenced, 0x00081150, 'UI', '1.2\0');
  referenced.undefinedLength = true;
  sequence(ds, 0x00081140, [referenced], true);
  put(
    ds,
    0x7fe00010,
    'OW',
    Uint8Array.from({ length: 64 }, (_, i) => i),
  );
  return ds;
}

describe('dicomkit xml: byte for byte dcm2xml on crafted data sets', () => {
  const CASES = [
    { charset: 'ISO_IR 100', syntax: '1.2.840.10008.1.2.1' },
    { charset: 'ISO_IR 100', syntax: '1.2.840.10008.1.2.2' },
    { charset: 'ISO_IR 100', syntax: '1.2.840.10008.1.2' },
    { charset: undefined, syntax: '1.2.840.10008.1.2.1' },
    { charset: '', syntax: '1.2.840.10008.1.2.1' },
    { charset: 'ISO_IR 192', syntax: '1.2.840.10008.1.2.1' },
  ];
  for (const { charset, syntax } of CASES) {
    test(`(0008,0005) ${charset === undefined ? 'absent' : `'${charset}'`}, ${syntax}`, async () => {
      const name = `crafted-${charset ?? 'none'}-${syntax}`.replace(/\W/g, '_');
      const input = join(work, `${name}.dcm`);
      await writeDicomFile(input, crafted(charset), { transferSyntax: syntax });
      for (const mode of MODES) {
        const theirs = dcm2xml(mode, input, `${name}${mode.join('')}`);
        const ours = await dicomkitXml(mode, input, `${name}${mode.join('')}`);
        assert.equal(ours.status, theirs.status, `[${mode.join(' ')}] exit code`);
        assert.equal(theirs.status, 0);
        // Nothing masked but the random UUIDs: our private creator is in neither dictionary.
        const a = theirs.out.toString('latin1').replace(/uuid="[0-9a-f-]{36}"/g, 'uuid="*"');
        const b = ours.out.toString('latin1').replace(/uuid="[0-9a-f-]{36}"/g, 'uuid="*"');
        assert.ok(a === b, `[${mode.join(' ')}] ${firstDifference(a, b)}`);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------

function dicomkitCli(args: readonly string[]): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'xml', ...args], { timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('dicomkit xml: the command as installed (bin/dicomkit.js), beside dcm2xml', () => {
  const ct = join(CORPUS, 'CT_small.dcm');

  test("the help documents every flag, with dcm2xml's spelling", () => {
    const command = xmlCommand();
    const help = command.helpInformation();
    for (const option of command.options) {
      assert.ok(help.includes(option.flags), option.flags);
      assert.ok(option.description.length > 10, `${option.flags} is described`);
    }
    for (const [spelling, long] of Object.entries(XML_ALIASES)) {
      if (spelling === '-h') continue;
      assert.ok(help.includes(spelling), `help mentions ${spelling}`);
      assert.ok(help.includes(long as string), `help lists ${long}`);
    }
    const unknown = dicomkitCli(['--frobnicate', ct]);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown option '--frobnicate'/);
  });

  test('writes to standard output when no output file is given, or "-"', () => {
    for (const args of [
      ['+Wb', '+Eb', ct],
      ['-nat', '+Eb', ct, '-'],
    ]) {
      const theirs = spawnSync('dcm2xml', args, { timeout: 30_000 });
      const ours = dicomkitCli(args);
      assert.equal(ours.status, 0, ours.stderr);
      assert.equal(theirs.status, 0);
      assert.equal(masked(ours.stdout), masked(theirs.stdout), args.join(' '));
    }
  });

  test("dcm2xml's exit codes and option checks", async () => {
    const nonAscii = join(work, 'no-charset.dcm');
    // Non-ASCII text without (0008,0005): refused, 3 on standard output, 2 to a file (left empty).
    const ds = new DataSet();
    put(ds, 0x00080016, 'UI', '1.2.3\0');
    put(ds, 0x00080018, 'UI', '1.2.3\0');
    put(ds, 0x00100010, 'PN', 'M\xfcll');
    await writeDicomFile(nonAscii, ds, { transferSyntax: '1.2.840.10008.1.2.1' });
    {
      const cases: { args: string[]; status: number; line: RegExp }[] = [
        { args: [nonAscii], status: 3, line: /Specific Character Set \(0008,0005\) is absent/ },
        { args: [nonAscii, join(work, 'refused.xml')], status: 2, line: /is absent/ },
        { args: ['+Ca', 'latin-1', nonAscii], status: 0, line: /^$/ },
        {
          args: ['+Ca', 'klingon', nonAscii],
          status: 3,
          line: /'klingon' specified with --charset-assume not supported/,
        },
        { args: [join(work, 'missing.dcm')], status: 5, line: /ERR_IO: cannot open/ },
        { args: [''], status: 6, line: /invalid filename/ },
        {
          args: ['-nat', '+Wb', ct],
          status: 1,
          line: /--write-binary-data not allowed with --native-format/,
        },
        { args: ['+Eb', ct], status: 1, line: /--encode-base64 only allowed with --write-binary-data/ },
        { args: ['+Eu', ct], status: 1, line: /--encode-uuid only allowed with --native-format/ },
        { args: ['+R', '2', ct], status: 1, line: /--max-read-length/ },
        {
          args: ['+fo', join(CORPUS, 'rtstruct.dcm')],
          status: 5,
          line: /file meta information header missing/,
        },
        { args: [ct, join(work, 'no', 'such', 'dir.xml')], status: 1, line: /cannot create/ },
      ];
      for (const c of cases) {
        const ours = dicomkitCli(c.args);
        const theirs = spawnSync('dcm2xml', c.args, { timeout: 30_000 });
        assert.equal(ours.status, c.status, `dicomkit xml ${c.args.join(' ')}: ${ours.stderr}`);
        assert.equal(theirs.status, c.status, `dcm2xml ${c.args.join(' ')}`);
        assert.match(ours.stderr.trim(), c.line, c.args.join(' '));
      }
      assert.equal(
        readFileSync(join(work, 'refused.xml')).length,
        0,
        'created, then left empty, as dcm2xml does',
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------

/** C-FIND responses in several character sets, one with a sequence. */
function responses(): DataSet[] {
  const withCharset = (charset: string | undefined, name: string | Uint8Array, id: string): DataSet => {
    const ds = new DataSet();
    if (charset !== undefined) put(ds, 0x00080005, 'CS', charset);
    put(ds, 0x00080052, 'CS', 'PATIENT ');
    put(ds, 0x00100010, 'PN', name);
    put(ds, 0x00100020, 'LO', id);
    return ds;
  };
  const utf8 = withCharset('ISO_IR 192', Buffer.from('Wang^XiaoDong=王^小東 ', 'utf8'), 'P4');
  const other = new DataSet();
  put(other, 0x00100020, 'LO', 'OTHER ');
  sequence(utf8, 0x00101002, [other], false);
  return [
    withCharset('ISO_IR 100', 'M\xfcller^J\xfcrgen ', 'P1'),
    withCharset(undefined, 'Doe^John<&>', 'P2'),
    // Odd length before padding: without data correction the pad is converted too (20, not 18).
    withCharset('ISO_IR 144', '\xbb\xee\xea\xe5\xdc\xd1\xe3\xe0\xd3 ', 'P3'),
    utf8,
    withCharset('ISO_IR 126', '\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2 ', 'P5'),
  ];
}

describe('findscu -Xx and -Xs: dicomkit and DCMTK write the same files', () => {
  let server: DicomServer;
  let port = 0;

  before(async () => {
    port = await freePort();
    server = await new ApplicationEntity({
      aeTitle: 'XMLSCP',
      timeouts: { acse: 10_000, dimse: 20_000 },
    }).listen({
      port,
      host: '127.0.0.1',
      handlers: {
        async *find(request) {
          // PatientID=NOBODY matches nothing; anything else all five.
          if (request.identifier.string('PatientID')?.trim() === 'NOBODY') return;
          yield* responses();
        },
      },
    });
  });
  after(() => server.close({ abort: true }));

  const query = ['-P', '-k', '0008,0052=PATIENT', '-k', 'PatientName', '-k', 'PatientID'];

  /** Runs findscu with both tools, each into its own directory; returns the directories. */
  async function both(name: string, args: string[], status = 0): Promise<Record<string, string>> {
    const dirs: Record<string, string> = {};
    await Promise.all(
      TOOLS.map(async (tool) => {
        const dir = join(work, `${name}-${tool}`);
        mkdirSync(dir, { recursive: true });
        dirs[tool] = dir;
        const r = await runTool(tool, 'findscu', [...args, '-od', dir, '127.0.0.1', String(port)], {
          timeoutMs: 30_000,
        });
        assert.equal(r.status, status, `${tool} findscu ${args.join(' ')}: ${r.stdout}${r.stderr}`);
      }),
    );
    return dirs;
  }

  function sameFiles(dirs: Record<string, string>, expected: string[]): void {
    assert.deepEqual(readdirSync(dirs.dcmtk!).sort(), expected, 'DCMTK wrote these');
    assert.deepEqual(readdirSync(dirs.dicomkit!).sort(), expected, 'and so did we');
    for (const name of expected) {
      const a = readFileSync(join(dirs.dcmtk!, name));
      const b = readFileSync(join(dirs.dicomkit!, name));
      assert.ok(a.equals(b), `${name}: ${firstDifference(a.toString('latin1'), b.toString('latin1'))}`);
    }
  }

  test('-Xx: rsp0001.xml ... in the output directory, each in its own encoding', {
    timeout: 60_000,
  }, async () => {
    const dirs = await both('xx', [...query, '-Xx']);
    sameFiles(dirs, ['rsp0001.xml', 'rsp0002.xml', 'rsp0003.xml', 'rsp0004.xml', 'rsp0005.xml']);
    const first = readFileSync(join(dirs.dicomkit!, 'rsp0001.xml'));
    assert.match(first.toString('latin1'), /^<\?xml version="1.0" encoding="ISO-8859-1"\?>\n<data-set xfer=/);
    assert.ok(first.includes(Buffer.from('M\xfcller^J\xfcrgen', 'latin1')));
    // No (0008,0005): findscu declares no encoding.
    assert.match(readFileSync(join(dirs.dicomkit!, 'rsp0002.xml'), 'latin1'), /^<\?xml version="1.0"\?>\n/);
    assert.match(readFileSync(join(dirs.dicomkit!, 'rsp0005.xml'), 'latin1'), /encoding="ISO-8859-7"/);
  });

  test('-Xs: all responses in one <responses> document, converted to UTF-8', {
    timeout: 60_000,
  }, async () => {
    const dirs = await both('xs', [...query, '-Xs', 'all.xml']);
    sameFiles(dirs, ['all.xml']);
    const xml = readFileSync(join(dirs.dicomkit!, 'all.xml'), 'utf8');
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<responses type="C-FIND">\n<data-set /);
    assert.equal(xml.match(/<data-set /g)?.length, 5);
    assert.match(xml, /len="20" name="PatientName">Люъхмбург</);
    assert.match(xml, />Διονυσιος</);
  });

  test('-Xs with -Xlo 2, and with no responses; -Xx with -Xlo 3', { timeout: 60_000 }, async () => {
    sameFiles(await both('xs-limit', [...query, '-Xs', 'two.xml', '-Xlo', '2']), ['two.xml']);
    const none = await both('xs-none', [
      '-P',
      '-k',
      '0008,0052=PATIENT',
      '-k',
      'PatientID=NOBODY',
      '-Xs',
      'none.xml',
    ]);
    sameFiles(none, ['none.xml']);
    assert.equal(
      readFileSync(join(none.dicomkit!, 'none.xml'), 'utf8'),
      '<?xml version="1.0" encoding="UTF-8"?>\n<responses type="C-FIND">\n</responses>\n',
    );
    sameFiles(await both('xx-limit', [...query, '-Xx', '-Xlo', '3']), [
      'rsp0001.xml',
      'rsp0002.xml',
      'rsp0003.xml',
    ]);
  });

  test('an output directory that does not exist: both refuse, exit 1, with -X, -Xx and -Xs', {
    timeout: 30_000,
  }, async () => {
    for (const extract of [['-X'], ['-Xx'], ['-Xs', 'all.xml']]) {
      for (const tool of TOOLS) {
        const r = await runTool(tool, 'findscu', [
          ...query,
          ...extract,
          '-od',
          join(work, 'nowhere'),
          '127.0.0.1',
          String(port),
        ]);
        assert.equal(r.status, 1, `${tool} ${extract[0]}`);
        assert.match(`${r.stdout}${r.stderr}`, /specified output directory does not exist/, tool);
      }
    }
    assert.equal(existsSync(join(work, 'nowhere')), false);
  });
});
