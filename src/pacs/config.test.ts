import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import { SILENT_LOGGER } from '../core/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import { DataSet } from '../object/index.ts';
import { QueryRetrieveModels, verificationContext } from '../services/index.ts';
import { PacsAccess } from './access.ts';
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from './config.ts';

const quiet = SILENT_LOGGER;
const CT = '1.2.840.10008.5.1.4.1.1.2';
const CT_FILE = 'test/fixtures/pydicom/CT_small.dcm';
const EXPLICIT = '1.2.840.10008.1.2.1';

describe('PACS config', () => {
  test('defaults are those of ARCHITECTURE.md', () => {
    const config = resolveConfig({});
    assert.equal(config.aeTitle, 'DICOMKIT');
    assert.equal(config.dicom.port, 4242);
    assert.equal(config.dicom.host, '0.0.0.0');
    assert.equal(config.http.host, '127.0.0.1');
    assert.equal(config.http.port, 8042);
    assert.deepEqual(config, DEFAULT_CONFIG);
  });

  test('a bad value or an unknown key fails naming the key', () => {
    const failsOn = (input: Record<string, unknown>, key: string) =>
      assert.throws(
        () => resolveConfig(input),
        (e: unknown) => e instanceof ConfigError && e.key === key,
      );
    failsOn({ dicom: { port: 70000 } }, 'dicom.port');
    failsOn({ aeTitle: 'WAY-TOO-LONG-AE-TITLE' }, 'aeTitle');
    failsOn({ dicmo: {} }, 'dicmo');
    failsOn({ storage: { pth: 'x' } }, 'storage.pth');
    failsOn({ duplicates: 'keep' }, 'duplicates');
    failsOn({ dicom: { idleTimeout: -1 } }, 'dicom.idleTimeout');
    failsOn({ dicom: { scuTimeout: 0 } }, 'dicom.scuTimeout');
    failsOn({ dicom: { scuTimeout: '10' } }, 'dicom.scuTimeout');
    failsOn({ modalities: { ct: { aeTitle: 'CT', host: 'h', port: 'x' } } }, 'modalities.ct.port');
    failsOn(
      { modalities: { ct: { aeTitle: 'CT', host: 'h', port: 104, permissions: { fly: true } } } },
      'modalities.ct.permissions.fly',
    );
  });

  test("modalities in Orthanc's short form and in full", () => {
    const config = resolveConfig({
      modalities: {
        orthanc: ['ORTHANC', '10.0.0.5', 4242],
        ct: {
          aeTitle: 'CT1',
          host: '10.0.0.6',
          port: 104,
          checkHost: false,
          permissions: { store: true, move: false },
        },
      },
    });
    assert.deepEqual(config.modalities.orthanc, {
      aeTitle: 'ORTHANC',
      host: '10.0.0.5',
      port: 4242,
      checkHost: true,
      permissions: { echo: true, store: true, find: true, move: true, get: true },
      useTls: false,
    });
    assert.equal(config.modalities.ct!.permissions.move, false);
    assert.equal(config.modalities.ct!.checkHost, false);
  });
});

describe('PACS access control', () => {
  const config = resolveConfig({
    localAddresses: ['127.0.0.1/32'],
    modalities: {
      ct: { aeTitle: 'CT1', host: '10.0.0.6', port: 104, permissions: { find: false } },
      anywhere: { aeTitle: 'ROAMER', host: '10.9.9.9', port: 104, checkHost: false },
    },
  });
  const access = new PacsAccess(config, quiet);
  const check = (callingAeTitle: string, remoteAddress: string) =>
    access.check({ callingAeTitle, calledAeTitle: 'DICOMKIT', remoteAddress });

  test('local callers, known modalities at their address, roaming modalities', async () => {
    assert.equal((await check('ANYONE', '127.0.0.1')).allowed, true);
    assert.equal((await check('CT1', '10.0.0.6')).allowed, true);
    assert.equal((await check('ROAMER', '192.168.7.7')).allowed, true);
  });

  test('unknown callers and known AE titles at the wrong address are rejected with reason 3', async () => {
    for (const [aet, address, hint] of [
      ['STRANGER', '10.0.0.7', /add it under "modalities"/],
      ['CT1', '10.0.0.7', /not at 10.0.0.7/],
      ['ANYONE', '127.0.0.2', /not a known modality/],
    ] as const) {
      const decision = await check(aet, address);
      assert.equal(decision.allowed, false);
      if (!decision.allowed) {
        assert.deepEqual([decision.rj.result, decision.rj.source, decision.rj.reason], [1, 1, 3]);
        assert.match(decision.why, hint);
      }
    }
  });

  test('per-operation permissions', async () => {
    assert.equal(await access.permitted('CT1', '10.0.0.6', 'store'), true);
    assert.equal(await access.permitted('CT1', '10.0.0.6', 'find'), false);
    assert.equal(await access.permitted('ANYONE', '127.0.0.1', 'find'), true);
    const open = new PacsAccess(resolveConfig({ allowUnknownCallers: true }), quiet);
    assert.equal(
      (await open.check({ callingAeTitle: 'X', calledAeTitle: 'Y', remoteAddress: '8.8.8.8' })).allowed,
      true,
    );
  });

  test('dicom.scuTimeout: a C-MOVE destination that never answers fails the move that soon', {
    timeout: 15_000,
  }, async () => {
    // A destination that takes the connection and never answers the A-ASSOCIATE-RQ.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    const storage = mkdtempSync(join(tmpdir(), 'dicomkit-scu-timeout-'));
    const pacs = await startLoopbackPacs(storage, {
      dicom: { scuTimeout: 0.5 },
      modalities: { mute: { aeTitle: 'MUTE', host: '127.0.0.1', port: silentPort } },
    });
    try {
      const store = await associateWithPacs(pacs, [CT]);
      await store.store(CT_FILE);
      await store.release();
      const retrieve = await associateWithPacs(pacs, [
        { abstractSyntax: QueryRetrieveModels.study.move, transferSyntaxes: [EXPLICIT] },
      ]);
      const query = new DataSet();
      query.set('QueryRetrieveLevel', 'STUDY');
      query.set('StudyInstanceUID', (await readDicomFile(CT_FILE)).dataset.string('StudyInstanceUID')!);
      const started = performance.now();
      const moved = await retrieve.move(query, 'MUTE').catch((error: { status?: number }) => error);
      const took = performance.now() - started;
      await retrieve.release();
      assert.notEqual(moved.status, 0, 'the move cannot have succeeded');
      assert.ok(took >= 450 && took < 4000, `the move ended after ${took.toFixed(0)} ms`);
      assert.equal(sockets.length, 1);
      assert.equal(resolveConfig({}).dicom.scuTimeout, 10);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
      await pacs.close({ abort: true });
      rmSync(storage, { recursive: true, force: true });
    }
  });

  test('dicom.idleTimeout: an association silent that long is aborted, its place freed', {
    timeout: 15_000,
  }, async () => {
    const storage = mkdtempSync(join(tmpdir(), 'dicomkit-idle-'));
    const pacs = await startLoopbackPacs(storage, { dicom: { idleTimeout: 0.3, maxAssociations: 1 } });
    try {
      const silent = await associateWithPacs(pacs, [verificationContext()]);
      const started = performance.now();
      const ended = new Promise<string>((resolve) => silent.once('aborted', (info) => resolve(info.message)));
      assert.equal(await silent.echo(), 0);
      await ended;
      const waited = performance.now() - started;
      assert.ok(waited >= 250 && waited < 3000, `aborted after ${waited.toFixed(0)} ms`);
      // The one place (maxAssociations 1) is free again.
      const next = await associateWithPacs(pacs, [verificationContext()]);
      assert.equal(await next.echo(), 0);
      await next.release();
      assert.equal(resolveConfig({}).dicom.idleTimeout, 30);
    } finally {
      await pacs.close({ abort: true });
      rmSync(storage, { recursive: true, force: true });
    }
  });
});
