/**
 * The signature-verification worker thread (see signature-workers.ts): receives batches of JWS signatures, checks
 * each with node:crypto's synchronous verify, and posts the results back as one message per batch.
 */
import { verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { Batch, Results } from './signature-workers.js';

const keys = new Map<number, VerifyKeyObjectInput | KeyObject>();

parentPort?.on('message', (batch: Batch) => {
  for (const [id, key] of batch.keys) keys.set(id, key);
  const results: Results = new Array<boolean>(batch.jobs.length);
  batch.jobs.forEach(([keyId, digest, data, signature], i) => {
    const key = keys.get(keyId);
    try {
      results[i] = key !== undefined && verify(digest, Buffer.from(data, 'latin1'), key, signature);
    } catch {
      results[i] = false;
    }
  });
  parentPort?.postMessage({ seq: batch.seq, results });
});
