// HTTP access rules (issue 5: "HTTP on loopback only until authentication is configured, as
// Orthanc's RemoteAccessAllowed does"). A caller from 127.0.0.2 plays the remote machine:
// the PACS is told only 127.0.0.1 is local.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SILENT_LOGGER } from '../../core/index.ts';
import { ConfigError, resolveConfig } from '../config.ts';
import { type Pacs, startPacs } from '../server.ts';

const quiet = SILENT_LOGGER;
const work = mkdtempSync(join(tmpdir(), 'dicomkit-http-access-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Answer {
  status: number;
  body: string;
  authenticate: string | undefined;
}

/** GET /system from `from`, with Basic credentials when given. */
function get(pacs: Pacs, from: string, credentials?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (credentials) headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    const req = request(
      { host: '127.0.0.1', port: pacs.httpPort, path: '/system', localAddress: from, headers, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            authenticate: res.headers['www-authenticate'] as string | undefined,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function start(name: string, http: Record<string, unknown>): Promise<Pacs> {
  return startPacs(
    resolveConfig({
      dicom: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0, ...http },
      storage: { path: join(work, name) },
      localAddresses: ['127.0.0.1/32'],
    }),
    { logger: quiet },
  );
}

describe('REST access: local only until authentication is configured', () => {
  test('by default a local caller is served and a remote one gets 403', { timeout: 20_000 }, async () => {
    const pacs = await start('default', {});
    try {
      assert.equal((await get(pacs, '127.0.0.1')).status, 200);
      const remote = await get(pacs, '127.0.0.2');
      assert.equal(remote.status, 403);
      assert.equal(JSON.parse(remote.body).code, 'ERR_REMOTE_ACCESS');
    } finally {
      await pacs.close();
    }
  });

  test('remote access without users is a config error naming the key', () => {
    assert.throws(
      () => resolveConfig({ http: { remoteAccessAllowed: true } }),
      (e: unknown) => e instanceof ConfigError && e.key === 'http.remoteAccessAllowed',
    );
    assert.throws(
      () => resolveConfig({ http: { users: { 'a:b': 'x' } } }),
      (e: unknown) => e instanceof ConfigError && e.key === 'http.users',
    );
  });

  test('with users and remote access: Basic authentication for everyone, remote callers served', {
    timeout: 20_000,
  }, async () => {
    const pacs = await start('users', { remoteAccessAllowed: true, users: { alice: 's3cret:with colon' } });
    try {
      for (const from of ['127.0.0.1', '127.0.0.2']) {
        const anonymous = await get(pacs, from);
        assert.equal(anonymous.status, 401, from);
        assert.match(anonymous.authenticate ?? '', /^Basic realm=/);
        assert.equal((await get(pacs, from, 'alice:wrong')).status, 401);
        assert.equal((await get(pacs, from, 'bob:s3cret:with colon')).status, 401);
        const ok = await get(pacs, from, 'alice:s3cret:with colon');
        assert.equal(ok.status, 200, ok.body);
        assert.equal(JSON.parse(ok.body).DicomAet, 'DICOMKIT');
      }
    } finally {
      await pacs.close();
    }
  });

  test('users without remote access: local callers authenticate, remote ones still get 403', {
    timeout: 20_000,
  }, async () => {
    const pacs = await start('local-users', { users: { alice: 'pw' } });
    try {
      assert.equal((await get(pacs, '127.0.0.1')).status, 401);
      assert.equal((await get(pacs, '127.0.0.1', 'alice:pw')).status, 200);
      assert.equal((await get(pacs, '127.0.0.2', 'alice:pw')).status, 403);
    } finally {
      await pacs.close();
    }
  });
});
