import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transferSyntax } from '../../encoding/index.ts';
import { COMPRESSED_CODECS } from './compressed.ts';
import { COMPRESSED_CODEC_UIDS } from './compressed-uids.ts';

test('COMPRESSED_CODEC_UIDS (read without loading the codecs) names exactly the compressed codecs', () => {
  assert.deepEqual([...COMPRESSED_CODEC_UIDS].sort(), Object.keys(COMPRESSED_CODECS).sort());
  for (const uid of COMPRESSED_CODEC_UIDS) {
    assert.ok(transferSyntax(uid).encapsulated, `${uid} is an encapsulated transfer syntax`);
  }
});
