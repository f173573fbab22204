import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapConcurrently } from './concurrency.ts';

test('mapConcurrently keeps the order, runs at most `limit` at once, and rejects with the first error', async () => {
  let running = 0;
  let most = 0;
  const delays = [30, 5, 20, 1, 10, 2, 15];
  const results = await mapConcurrently(delays, 3, async (delay, index) => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, delay));
    running--;
    return `${index}:${delay}`;
  });
  assert.deepEqual(
    results,
    delays.map((d, i) => `${i}:${d}`),
  );
  assert.equal(most, 3);
  assert.deepEqual(await mapConcurrently([], 4, async () => 1), []);
  await assert.rejects(
    mapConcurrently([1, 2, 3], 2, async (n) => {
      if (n === 2) throw new Error('two');
      return n;
    }),
    /two/,
  );
});
