/** In-memory storage for oidc-provider, one per look-alike, that the test controls can also query. */

import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

/** Models whose records belong to a grant and die with it (as oidc-provider's own memory adapter does). */
const GRANT_MEMBERS = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode',
]);

interface Entry {
  readonly model: string;
  readonly id: string;
  readonly payload: AdapterPayload;
  readonly expiresAt: number;
}

/** All provider state of one look-alike; survives provider rebuilds (key rotation) and stop/start. */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();

  /** The adapter factory to give oidc-provider. */
  readonly adapterFactory: AdapterFactory = (model) => new StoreAdapter(this, model);

  /** Reads a live record. */
  get(model: string, id: string): AdapterPayload | undefined {
    const entry = this.#entries.get(`${model}:${id}`);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(`${model}:${id}`);
      return undefined;
    }
    return entry.payload;
  }

  /** Writes a record; expiresIn in seconds, undefined = no expiry. */
  set(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    const expiresAt = expiresIn === undefined ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1000;
    this.#entries.set(`${model}:${id}`, { model, id, payload, expiresAt });
  }

  /** Deletes a record. */
  delete(model: string, id: string): void {
    this.#entries.delete(`${model}:${id}`);
  }

  /** Live records of one model, with their ids. */
  list(model: string): Array<{ readonly id: string; readonly payload: AdapterPayload }> {
    const now = Date.now();
    const out: Array<{ id: string; payload: AdapterPayload }> = [];
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
      } else if (entry.model === model) {
        out.push({ id: entry.id, payload: entry.payload });
      }
    }
    return out;
  }

  /** Deletes every token, code and request issued under a grant, and the grant itself. */
  revokeGrant(grantId: string): void {
    for (const [key, entry] of this.#entries) {
      if (entry.payload.grantId === grantId && GRANT_MEMBERS.has(entry.model)) {
        this.#entries.delete(key);
      }
    }
    this.delete('Grant', grantId);
  }
}

/** oidc-provider's Adapter interface over the store, for one model. */
class StoreAdapter implements Adapter {
  readonly #store: MemoryStore;
  readonly #model: string;

  constructor(store: MemoryStore, model: string) {
    this.#store = store;
    this.#model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.#store.set(this.#model, id, payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.#store.get(this.#model, id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#store.list(this.#model).find((entry) => entry.payload.userCode === userCode)?.payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#store.list(this.#model).find((entry) => entry.payload.uid === uid)?.payload;
  }

  async consume(id: string): Promise<void> {
    const payload = this.#store.get(this.#model, id);
    if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const model of GRANT_MEMBERS) {
      for (const entry of this.#store.list(model)) {
        if (entry.payload.grantId === grantId) this.#store.delete(model, entry.id);
      }
    }
  }
}
