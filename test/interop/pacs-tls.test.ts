// dicomkit pacs with `dicom.tls` (PS3.15 §B.1), as Orthanc's DicomTls* options: the SCP takes
// TLS only, from callers whose certificate the trusted ones vouch for (DCMTK's echoscu and
// storescu +tls); C-MOVE and the REST SCU calls reach a `useTls` modality (DCMTK's storescp
// +tls) over TLS. A test CA issues the certificates.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SILENT_LOGGER } from '../../src/core/index.ts';
import { readDicomFile } from '../../src/object/file.node.ts';
import { DataSet, readDicom } from '../../src/object/index.ts';
import { ConfigError, resolveConfig } from '../../src/pacs/config.ts';
import { type Pacs, startPacs } from '../../src/pacs/server.ts';
import { ApplicationEntity, QueryRetrieveModels } from '../../src/services/index.ts';
import { type BackgroundPeer, freePort, runPeerAsync, startPeer } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';
import { storedNames } from '../helpers/stored-files.ts';
import { selfSignedCertificate, type TestPki, testPki } from '../helpers/tls.ts';

for (const program of ['echoscu', 'storescu', 'storescp', 'openssl']) requirePeer(program);

const CT = 'test/fixtures/pydicom/CT_small.dcm';
const EXPLICIT = '1.2.840.10008.1.2.1';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-pacs-tls-'));
after(() => rmSync(work, { recursive: true, force: true }));

function tlsConfig(pki: TestPki, extra: Record<string, unknown> = {}) {
  return {
    certificate: pki.server.cert,
    privateKey: pki.server.key,
    trustedCertificates: pki.ca,
    ...extra,
  };
}

function startTlsPacs(name: string, pki: TestPki, extra: Record<string, unknown> = {}): Promise<Pacs> {
  const { tls, ...rest } = extra as { tls?: Record<string, unknown> };
  return startPacs(
    resolveConfig({
      dicom: { host: '127.0.0.1', port: 0, tls: tlsConfig(pki, tls) },
      http: { port: 0 },
      storage: { path: join(work, name), fsync: false },
      ...rest,
    }),
    { logger: SILENT_LOGGER },
  );
}

/** The bytes of a Part 10 file after its meta header: what the SCU sent. */
function dataSetBytes(path: string): Buffer {
  const bytes = readFileSync(path);
  return bytes.subarray(readDicom(new Uint8Array(bytes), { stopAtTag: 0x00080000 }).dataSetOffset);
}

describe('dicomkit pacs over TLS', () => {
  const dir = join(work, 'pki');
  let pki: TestPki;
  let pacs: Pacs;
  let storescp: BackgroundPeer;
  let storescpPort: number;
  const received = join(work, 'received');
  let stranger: { key: string; cert: string };

  before(async () => {
    mkdirSync(dir, { recursive: true });
    mkdirSync(received);
    pki = testPki(dir);
    stranger = selfSignedCertificate(dir, { name: 'stranger', commonName: 'stranger' });
    storescpPort = await freePort();
    // A TLS modality: its certificate from the same CA, ours checked against it.
    storescp = await startPeer(
      'storescp',
      [
        '+tls',
        pki.good.key,
        pki.good.cert,
        '+cf',
        pki.ca,
        '-od',
        received,
        '-aet',
        'TLSDEST',
        String(storescpPort),
      ],
      storescpPort,
    );
    pacs = await startTlsPacs('pacs', pki, {
      modalities: {
        tlsdest: { aeTitle: 'TLSDEST', host: '127.0.0.1', port: storescpPort, useTls: true },
        plaindest: { aeTitle: 'TLSDEST', host: '127.0.0.1', port: storescpPort },
      },
    });
  });
  after(async () => {
    await pacs?.close();
    await storescp?.stop();
  });

  const port = () => String(pacs.dicom.port);
  const tlsArgs = (pair: { key: string; cert: string }) => ['+tls', pair.key, pair.cert, '+cf', pki.ca];

  test('DCMTK echoscu and storescu with a trusted certificate; plain TCP and untrusted certificates refused', {
    timeout: 60_000,
  }, async () => {
    const echo = await runPeerAsync('echoscu', [
      '-v',
      ...tlsArgs(pki.good),
      '-aec',
      'DICOMKIT',
      '127.0.0.1',
      port(),
    ]);
    assert.equal(echo.status, 0, echo.stdout + echo.stderr);
    const store = await runPeerAsync('storescu', [
      ...tlsArgs(pki.good),
      '-aec',
      'DICOMKIT',
      '127.0.0.1',
      port(),
      CT,
    ]);
    assert.equal(store.status, 0, store.stdout + store.stderr);
    const uid = (await readDicomFile(CT)).dataset.string('SOPInstanceUID')!;
    assert.equal(pacs.index.has(uid), true);

    const plain = await runPeerAsync('echoscu', ['-aec', 'DICOMKIT', '127.0.0.1', port()], {
      timeoutMs: 20_000,
    });
    assert.notEqual(plain.status, 0, 'plain TCP');
    const untrusted = await runPeerAsync('echoscu', [...tlsArgs(stranger), '127.0.0.1', port()]);
    assert.notEqual(untrusted.status, 0, 'a certificate the CA did not issue');
    const anonymous = await runPeerAsync('echoscu', ['+tla', '+cf', pki.ca, '127.0.0.1', port()]);
    assert.notEqual(anonymous.status, 0, 'no certificate');
    // The SCP still serves after those.
    assert.equal((await runPeerAsync('echoscu', [...tlsArgs(pki.good), '127.0.0.1', port()])).status, 0);
  });

  test('C-MOVE and the REST SCU calls reach a useTls modality over TLS; without useTls they fail', {
    timeout: 60_000,
  }, async () => {
    const ct = await readDicomFile(CT);
    const study = ct.dataset.string('StudyInstanceUID')!;
    const uid = ct.dataset.string('SOPInstanceUID')!;
    if (!pacs.index.has(uid)) {
      const store = await runPeerAsync('storescu', [...tlsArgs(pki.good), '127.0.0.1', port(), CT]);
      assert.equal(store.status, 0, store.stderr);
    }
    const rest = (path: string, body: unknown = {}) =>
      fetch(`${pacs.http!.url}${path}`, { method: 'POST', body: JSON.stringify(body) });

    assert.equal((await rest('/modalities/tlsdest/echo')).status, 200);
    assert.equal((await rest('/modalities/plaindest/echo', { Timeout: 5 })).status, 502);

    // C-MOVE from a TLS SCU (our own, with a certificate from the CA) to the TLS modality.
    const scu = await new ApplicationEntity({ aeTitle: 'MOVER' }).associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      calledAeTitle: 'DICOMKIT',
      contexts: [{ abstractSyntax: QueryRetrieveModels.study.move, transferSyntaxes: [EXPLICIT] }],
      tls: {
        key: readFileSync(pki.good.key),
        cert: readFileSync(pki.good.cert),
        ca: readFileSync(pki.ca),
        checkServerIdentity: () => undefined,
      },
    });
    try {
      const identifier = new DataSet();
      identifier.set('QueryRetrieveLevel', 'STUDY');
      identifier.set('StudyInstanceUID', study);
      const move = await scu.move(identifier, 'TLSDEST');
      assert.deepEqual([move.status, move.completed, move.failed], [0, 1, 0]);
    } finally {
      await scu.release();
    }
    const files = storedNames(received);
    assert.equal(files.length, 1, files.join());
    // As the PACS stored it (DCMTK's storescu re-encodes what it sends: group lengths go).
    const stored = pacs.storage.absolute(pacs.storage.relativePath(uid));
    assert.ok(dataSetBytes(join(received, files[0]!)).equals(dataSetBytes(stored)), 'byte-identical');

    // REST store to it as well.
    const pushed = await rest('/modalities/tlsdest/store', { Resources: [uid] });
    assert.equal(pushed.status, 200, await pushed.text());
  });

  test('remoteCertificateRequired false: a caller without a certificate is accepted, over TLS still', {
    timeout: 30_000,
  }, async () => {
    const open = await startTlsPacs('open', pki, { tls: { remoteCertificateRequired: false } });
    try {
      const anonymous = await runPeerAsync('echoscu', [
        '+tla',
        '+cf',
        pki.ca,
        '127.0.0.1',
        String(open.dicom.port),
      ]);
      assert.equal(anonymous.status, 0, anonymous.stderr);
      const plain = await runPeerAsync('echoscu', ['127.0.0.1', String(open.dicom.port)], {
        timeoutMs: 20_000,
      });
      assert.notEqual(plain.status, 0);
    } finally {
      await open.close();
    }
  });

  test('start-up fails naming the key: unreadable file, key of another certificate, useTls without dicom.tls', async () => {
    await assert.rejects(
      startTlsPacs('bad1', pki, { tls: { certificate: join(dir, 'missing.pem') } }),
      (e: unknown) => e instanceof ConfigError && e.key === 'dicom.tls.certificate',
    );
    await assert.rejects(
      startTlsPacs('bad2', pki, { tls: { privateKey: pki.good.key } }),
      (e: unknown) => e instanceof ConfigError && e.key === 'dicom.tls' && /do not load/.test(e.message),
    );
    assert.throws(
      () => resolveConfig({ modalities: { x: { aeTitle: 'X', host: 'h', port: 1, useTls: true } } }),
      (e: unknown) => e instanceof ConfigError && e.key === 'modalities.x.useTls',
    );
  });
});
