import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A self-signed RSA certificate for CN=localhost, valid for a day, made with openssl in `dir`.
 * `subjectAltNames` adds DNS:localhost and IP:127.0.0.1, for peers that check names.
 */
export function selfSignedCertificate(
  dir: string,
  options: { subjectAltNames?: boolean } = {},
): { key: string; cert: string } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
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
      '1',
      '-subj',
      '/CN=localhost',
      ...(options.subjectAltNames ? ['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'] : []),
    ],
    { stdio: 'ignore' },
  );
  return { key, cert };
}
