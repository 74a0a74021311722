/**
 * JWS signature checks off the event loop, batched: signatures requested during one turn of the event loop go
 * to a worker thread in messages of up to BATCH jobs, and come back one message per batch (issue #5, cold bearer).
 *
 * Why not node:crypto's own async verify: it queues one libuv job per signature; on the 2-core bench machine
 * the thread-pool handoff (futex wake-ups, context switches) cost the event loop ~10 µs per token, and the
 * 4 pool threads fought wrk and the event loop for the cores (17.5k cold tokens/s; batched worker: 23.8k/s).
 * Shrinking UV_THREADPOOL_SIZE would also starve DNS lookups and file reads, so verification gets its own
 * thread instead. A worker that dies fails its pending checks with ERR_INTERNAL (a 500, never an allow) and
 * is replaced on the next batch.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KeyObject, VerifyKeyObjectInput } from 'node:crypto';
import { AuthError } from '../errors.js';

/**
 * Jobs per message at most. Measured on the 2-core bench machine (cold tokens/s): 2 → 22.4k, 4 → 22.5k,
 * 8 → 23.8k, unbounded (one message per event-loop turn) → 17.4k, as the two threads then take turns instead
 * of overlapping.
 */
const BATCH = 8;

/** One signature to check: key id, digest (null for EdDSA), signing input (latin1), signature. */
export type Job = readonly [keyId: number, digest: string | null, data: string, signature: Uint8Array];
/** What the main thread posts: keys the worker has not seen yet, and the jobs. */
export interface Batch {
  readonly seq: number;
  readonly keys: ReadonlyArray<readonly [number, VerifyKeyObjectInput | KeyObject]>;
  readonly jobs: readonly Job[];
}
/** Whether each job's signature holds, in job order. */
export type Results = boolean[];

interface Waiter {
  resolve(ok: boolean): void;
  reject(err: unknown): void;
}

/** One worker thread and the batches it has not answered yet. */
class SignatureWorker {
  readonly #worker: Worker;
  readonly #inflight = new Map<number, Waiter[]>();
  /** Key ids this worker already holds. */
  readonly known = new Set<number>();
  dead = false;
  readonly #fail: (why: string) => void;

  constructor() {
    this.#worker = new Worker(new URL('./verify-worker.js', import.meta.url));
    this.#worker.unref();
    this.#worker.on('message', (m: { seq: number; results: Results }) => {
      const waiters = this.#inflight.get(m.seq);
      this.#inflight.delete(m.seq);
      waiters?.forEach((w, i) => w.resolve(m.results[i] === true));
    });
    const fail = (why: string): void => {
      if (this.dead) return;
      this.dead = true;
      const err = new AuthError('ERR_INTERNAL', { detail: `signature worker ${why}` });
      for (const waiters of this.#inflight.values()) for (const w of waiters) w.reject(err);
      this.#inflight.clear();
    };
    this.#fail = fail;
    this.#worker.on('error', (err) => fail(`failed: ${err.message}`));
    this.#worker.on('exit', (code) => fail(`exited with code ${code}`));
  }

  post(batch: Batch, waiters: Waiter[]): void {
    this.#inflight.set(batch.seq, waiters);
    this.#worker.postMessage(batch);
  }

  get pending(): number {
    return this.#inflight.size;
  }

  terminate(): Promise<number> {
    this.#fail('was stopped');
    return this.#worker.terminate();
  }
}

/** A small pool of signature workers (cores - 1, at least 1, at most 4), fed one batch per event-loop turn. */
export class SignatureWorkers {
  readonly #size: number;
  #workers: SignatureWorker[] = [];
  #jobs: Job[] = [];
  #waiters: Waiter[] = [];
  readonly #keyIds = new WeakMap<object, number>();
  readonly #keys = new Map<number, VerifyKeyObjectInput | KeyObject>();
  #nextKey = 1;
  #seq = 0;
  #scheduled = false;
  #closed = false;

  constructor(size = Math.max(1, Math.min(4, availableParallelism() - 1))) {
    this.#size = size;
  }

  /** Checks `signature` over `data` (latin1) with `key`; resolves to whether it holds, rejects only if the worker died. */
  verify(digest: string | null, data: string, key: VerifyKeyObjectInput | KeyObject, signature: Uint8Array): Promise<boolean> {
    if (this.#closed) return Promise.reject(new AuthError('ERR_INTERNAL', { detail: 'signature workers are closed' }));
    let keyId = this.#keyIds.get(key);
    if (keyId === undefined) {
      keyId = this.#nextKey++;
      this.#keyIds.set(key, keyId);
      this.#keys.set(keyId, key);
    }
    const id = keyId;
    return new Promise((resolve, reject) => {
      this.#jobs.push([id, digest, data, signature]);
      this.#waiters.push({ resolve, reject });
      // Small batches keep both threads busy: the worker starts on the first few while this thread reads more.
      if (this.#jobs.length >= BATCH) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    const jobs = this.#jobs;
    const waiters = this.#waiters;
    this.#jobs = [];
    this.#waiters = [];
    if (jobs.length === 0) return;
    try {
      const worker = this.#pick();
      const keys: Array<readonly [number, VerifyKeyObjectInput | KeyObject]> = [];
      for (const [keyId] of jobs) {
        if (!worker.known.has(keyId)) {
          const key = this.#keys.get(keyId);
          if (key !== undefined) keys.push([keyId, key]);
          worker.known.add(keyId);
        }
      }
      worker.post({ seq: ++this.#seq, keys, jobs }, waiters);
    } catch (err) {
      const e = new AuthError('ERR_INTERNAL', { detail: `signature worker: ${err instanceof Error ? err.message : String(err)}`, cause: err });
      for (const w of waiters) w.reject(e);
    }
  }

  /** The least busy live worker, starting one while there are fewer than the pool size. */
  #pick(): SignatureWorker {
    this.#workers = this.#workers.filter((w) => !w.dead);
    if (this.#workers.length < this.#size) {
      const w = new SignatureWorker();
      this.#workers.push(w);
      return w;
    }
    let best = this.#workers[0] as SignatureWorker;
    for (const w of this.#workers) if (w.pending < best.pending) best = w;
    return best;
  }

  /** Stops every worker; pending checks fail with ERR_INTERNAL. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#workers = [];
  }
}
