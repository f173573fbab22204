import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A self-signed RSA certificate (default CN=localhost, key.pem and cert.pem, valid for a
 * day), made with openssl in `dir`. `subjectAltNames` adds DNS:localhost and IP:127.0.0.1, for
 * peers that check names.
 */
export function selfSignedCertificate(
  dir: string,
  options: { subjectAltNames?: boolean; commonName?: string; name?: string; days?: number } = {},
): { key: string; cert: string } {
  const key = join(dir, `${options.name ?? 'key'}.${options.name ? 'key' : 'pem'}`);
  const cert = join(dir, `${options.name ?? 'cert'}.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      String(options.days ?? 1),
      '-subj',
      `/CN=${options.commonName ?? 'localhost'}`,
      ...(options.subjectAltNames ? ['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'] : []),
    ],
    { stdio: 'ignore' },
  );
  return { key, cert };
}

export interface TestPki {
  /** The CA's certificate (PEM and DER) and its revocation list, which revokes `revoked`. */
  ca: string;
  caDer: string;
  crl: string;
  crlDer: string;
  server: { key: string; cert: string };
  good: { key: string; cert: string };
  revoked: { key: string; cert: string };
  /** `good`'s key and certificate in DER, and its key encrypted with the password 'secret'. */
  goodDer: { key: string; cert: string };
  goodEncryptedKey: string;
}

/**
 * A small certification authority made with openssl's `ca` in `dir`: a root, three leaf
 * certificates (server, good, revoked) valid for a day, and a CRL that revokes one of them.
 */
export function testPki(dir: string): TestPki {
  const path = (name: string): string => join(dir, name);
  writeFileSync(
    path('ca.cnf'),
    [
      '[ ca ]',
      'default_ca = local',
      '[ local ]',
      `database = ${path('index.txt')}`,
      `new_certs_dir = ${dir}`,
      `certificate = ${path('ca.pem')}`,
      `private_key = ${path('ca.key')}`,
      `serial = ${path('serial')}`,
      `crlnumber = ${path('crlnumber')}`,
      'default_md = sha256',
      'default_days = 1',
      'default_crl_days = 1',
      'policy = any',
      '[ any ]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  writeFileSync(path('index.txt'), '');
  writeFileSync(path('serial'), '1000\n');
  writeFileSync(path('crlnumber'), '1000\n');
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  const config = ['-config', path('ca.cnf')];
  selfSignedCertificate(dir, { name: 'ca', commonName: 'dicomkit test CA', days: 2 });
  for (const name of ['server', 'good', 'revoked']) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.csr`),
      '-subj',
      `/CN=${name}`,
    );
    openssl('ca', '-batch', ...config, '-in', path(`${name}.csr`), '-out', path(`${name}.pem`));
  }
  openssl('ca', ...config, '-revoke', path('revoked.pem'));
  openssl('ca', ...config, '-gencrl', '-out', path('ca.crl'));
  openssl('crl', '-in', path('ca.crl'), '-outform', 'DER', '-out', path('ca.crl.der'));
  openssl('x509', '-in', path('ca.pem'), '-outform', 'DER', '-out', path('ca.der'));
  openssl('x509', '-in', path('good.pem'), '-outform', 'DER', '-out', path('good.der'));
  openssl(
    'pkcs8',
    '-topk8',
    '-nocrypt',
    '-in',
    path('good.key'),
    '-outform',
    'DER',
    '-out',
    path('good.key.der'),
  );
  openssl(
    'pkcs8',
    '-topk8',
    '-in',
    path('good.key'),
    '-out',
    path('good.enc.key'),
    '-passout',
    'pass:secret',
    '-v2',
    'aes-256-cbc',
  );
  const pair = (name: string) => ({ key: path(`${name}.key`), cert: path(`${name}.pem`) });
  return {
    ca: path('ca.pem'),
    caDer: path('ca.der'),
    crl: path('ca.crl'),
    crlDer: path('ca.crl.der'),
    server: pair('server'),
    good: pair('good'),
    revoked: pair('revoked'),
    goodDer: { key: path('good.key.der'), cert: path('good.der') },
    goodEncryptedKey: path('good.enc.key'),
  };
}
