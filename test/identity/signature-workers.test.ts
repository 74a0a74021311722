/** SignatureWorkers: batched signature checks on worker threads give each caller its own answer, and fail closed. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { isAuthError } from '../../src/errors.js';
import { SignatureWorkers } from '../../src/identity/signature-workers.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('SignatureWorkers', () => {
  it('answers each of 50 mixed checks (valid, tampered, wrong key, two key types) in one burst', async () => {
    const workers = new SignatureWorkers(2);
    try {
      const cases = Array.from({ length: 50 }, (_, i) => {
        const data = `header.payload-${i}`;
        const useEc = i % 3 === 0;
        const signature = useEc
          ? sign('sha256', Buffer.from(data, 'latin1'), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })
          : sign('sha256', Buffer.from(data, 'latin1'), rsa.privateKey);
        const kind = i % 5;
        const checked = kind === 1 ? `${data}x` : data;
        const key = useEc ? { key: ec.publicKey, dsaEncoding: 'ieee-p1363' as const } : kind === 2 ? generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey : rsa.publicKey;
        return { want: kind !== 1 && !(kind === 2 && !useEc), run: () => workers.verify('sha256', checked, key, signature) };
      });
      const got = await Promise.all(cases.map((c) => c.run()));
      assert.deepEqual(got, cases.map((c) => c.want));
      assert.ok(got.includes(true) && got.includes(false));
    } finally {
      await workers.close();
    }
  });

  it('fails pending checks with ERR_INTERNAL when the workers stop, and refuses new ones (never an allow)', async () => {
    const workers = new SignatureWorkers(1);
    const data = 'a.b';
    const signature = sign('sha256', Buffer.from(data), rsa.privateKey);
    assert.equal(await workers.verify('sha256', data, rsa.publicKey, signature), true, 'the worker is up');
    const pending = Array.from({ length: 200 }, () => workers.verify('sha256', data, rsa.publicKey, signature));
    const outcomes = Promise.allSettled(pending);
    await new Promise((r) => setImmediate(r));
    await workers.close();
    const settled = await outcomes;
    for (const s of settled) {
      if (s.status === 'rejected') assert.ok(isAuthError(s.reason) && s.reason.code === 'ERR_INTERNAL', String(s.reason));
    }
    assert.ok(settled.some((s) => s.status === 'rejected'), 'some checks were still pending when the workers stopped');
    await assert.rejects(workers.verify('sha256', data, rsa.publicKey, signature), (e: unknown) => isAuthError(e) && e.code === 'ERR_INTERNAL');
  });
});
