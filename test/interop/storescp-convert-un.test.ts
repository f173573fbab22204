// storescp +uc (--convert-un) and -uc (--retain-un, the default), DCMTK's and dicomkit's side
// by side: DCMTK's storescu sends an instance whose known elements came as UN (text, binary,
// "US or SS", a sequence as Implicit VR Little Endian items, a private element whose creator
// the dictionary knows, one it does not); both storescps must write the same data set.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readDicomFile } from '../../src/object/file.node.ts';
import { DataSet, type DicomFile, readDicom, writeDicom } from '../../src/object/index.ts';
import { receivedFiles, runTool, startStorescp, TOOLS, type Tool } from '../helpers/cli-runs.ts';
import { implicitItem } from '../helpers/implicit-item.ts';
import { freePort } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';

for (const program of ['storescp', 'storescu']) requirePeer(program);

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function instanceWithUnElements(path: string): void {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', '2.25.4141');
  ds.set('StudyInstanceUID', '2.25.4142');
  ds.set('SeriesInstanceUID', '2.25.4143');
  ds.set('Modality', 'OT');
  ds.set(0x00100010, text('DOE^JANE'), 'UN');
  ds.set(0x00081030, text('HEAD STUDY'), 'UN');
  ds.set(0x00280010, new Uint8Array([0x00, 0x02]), 'UN');
  ds.set(0x00280106, new Uint8Array([0x05, 0x00]), 'UN');
  ds.set(
    0x00081140,
    implicitItem([
      [0x00081150, text('1.2.840.10008.5.1.4.1.1.2\0')],
      [0x00081155, text('2.25.42\0')],
    ]),
    'UN',
  );
  ds.set(0x00090010, text('GEMS_IDEN_01'), 'LO');
  ds.set(0x00091001, text('CT01'), 'UN');
  ds.set(0x00110010, text('NOBODY KNOWS'), 'LO');
  ds.set(0x00111001, new Uint8Array([1, 2, 3, 4]), 'UN');
  writeFileSync(path, writeDicom(ds, { transferSyntax: '1.2.840.10008.1.2.1' }));
}

/** A JPEG 2000 object whose Study Description and Patient's Name came as UN. */
function compressedWithUnElements(path: string): void {
  const file = readDicom(new Uint8Array(readFileSync('test/fixtures/pydicom/JPEG2000.dcm')));
  file.dataset.set(0x00081030, text('HEAD STUDY'), 'UN');
  file.dataset.set(0x00100010, text('DOE^JANE'), 'UN');
  writeFileSync(path, writeDicom(file.dataset, { transferSyntax: file.transferSyntax.uid }));
}

describe('storescp +uc / -uc, both tools', () => {
  const work = mkdtempSync(join(tmpdir(), 'dicomkit-convert-un-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  const input = join(work, 'un.dcm');
  instanceWithUnElements(input);

  /**
   * `file` sent by `sender`'s storescu to DCMTK's storescp and to ours, both run with `flags`:
   * the two must write the same data set; ours is returned, read back.
   */
  async function receivedByBoth(
    label: string,
    flags: string[],
    sender: Tool,
    file: string,
  ): Promise<DicomFile> {
    const written = new Map<Tool, Map<string, Buffer>>();
    for (const tool of TOOLS) {
      const out = join(work, `${tool}-${label}`);
      mkdirSync(out);
      const port = await freePort();
      const scp = await startStorescp(tool, [...flags, '-od', out], port);
      try {
        const sent = await runTool(sender, 'storescu', ['127.0.0.1', String(port), file]);
        assert.equal(sent.status, 0, sent.stdout + sent.stderr);
      } finally {
        await scp.stop();
      }
      written.set(tool, receivedFiles(out));
    }
    assert.equal(written.get('dicomkit')?.size, 1);
    assert.deepEqual(written.get('dicomkit'), written.get('dcmtk'));
    const [name] = [...written.get('dicomkit')!.keys()];
    return readDicomFile(join(work, `dicomkit-${label}`, name!));
  }

  test('storescp +xa +uc, a compressed object: the data set is written again around the same fragments', async () => {
    const compressed = join(work, 'un-j2k.dcm');
    compressedWithUnElements(compressed);
    // dicomkit's storescu proposes the file's own syntax (DCMTK's would convert it).
    const file = await receivedByBoth('j2k', ['+xa', '+uc'], 'dicomkit', compressed);
    assert.equal(file.transferSyntax.uid, '1.2.840.10008.1.2.4.91');
    assert.equal(file.dataset.element(0x00100010)?.vr, 'PN');
  });

  for (const flags of [['+uc'], ['-uc'], []]) {
    test(`storescp ${flags.join(' ') || '(no flag)'}: the same data set from DCMTK's and ours`, async () => {
      const file = await receivedByBoth(flags.join('') || 'default', flags, 'dcmtk', input);
      const vrs = [0x00100010, 0x00081030, 0x00280010, 0x00280106, 0x00081140, 0x00091001, 0x00111001].map(
        (tag) => file.dataset.element(tag)?.vr,
      );
      assert.deepEqual(
        vrs,
        flags[0] === '+uc'
          ? ['PN', 'LO', 'US', 'US', 'SQ', 'LO', 'UN']
          : ['UN', 'UN', 'UN', 'UN', 'UN', 'UN', 'UN'],
      );
    });
  }
});
