/** Cookie parsing and Set-Cookie serialisation, with chunking for values too large for one cookie. */

/** Attributes of the cookies keygate sets. */
export interface CookieAttributes {
  readonly domain: string | undefined;
  readonly secure: boolean;
  readonly path: string;
  /** Seconds; 0 deletes. */
  readonly maxAge: number;
}

/** Largest value in one cookie: browsers allow ~4096 bytes for name, value and attributes together. */
export const CHUNK_SIZE = 3800;

/** Parses a Cookie header into name → value (first occurrence wins, as browsers send the most specific first). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined || header === '') return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name !== '' && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** Serialises one Set-Cookie header value: always HttpOnly and SameSite=Lax. */
export function serializeCookie(name: string, value: string, a: CookieAttributes): string {
  let s = `${name}=${value}; Path=${a.path}; Max-Age=${a.maxAge}; HttpOnly; SameSite=Lax`;
  if (a.maxAge === 0) s += '; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  if (a.domain !== undefined) s += `; Domain=${a.domain}`;
  if (a.secure) s += '; Secure';
  return s;
}

/** Reassembles a value written by `chunkedCookies`: `name`, then `name.1`, `name.2` … while present. */
export function readChunked(cookies: ReadonlyMap<string, string>, name: string): string | undefined {
  const first = cookies.get(name);
  if (first === undefined || first === '') return undefined;
  let value = first;
  for (let i = 1; i < 16; i++) {
    const next = cookies.get(`${name}.${i}`);
    if (next === undefined || next === '') break;
    value += next;
  }
  return value;
}

/** How many chunk cookies the request carries for `name` (to clear stale ones). */
export function chunkCount(cookies: ReadonlyMap<string, string>, name: string): number {
  if (!cookies.has(name)) return 0;
  let n = 1;
  while (cookies.has(`${name}.${n}`)) n++;
  return n;
}

/** Set-Cookie values writing `value` as `name`, `name.1` …, and deleting chunks the request had beyond them. */
export function chunkedCookies(name: string, value: string, a: CookieAttributes, previousChunks: number): string[] {
  const out: string[] = [];
  let i = 0;
  for (let off = 0; off < value.length; off += CHUNK_SIZE, i++) {
    out.push(serializeCookie(i === 0 ? name : `${name}.${i}`, value.slice(off, off + CHUNK_SIZE), a));
  }
  for (let j = Math.max(i, 1); j < previousChunks; j++) out.push(serializeCookie(`${name}.${j}`, '', { ...a, maxAge: 0 }));
  return out;
}

/** Set-Cookie values deleting `name` and all its chunks. */
export function clearChunked(name: string, a: CookieAttributes, previousChunks: number): string[] {
  const out = [serializeCookie(name, '', { ...a, maxAge: 0 })];
  for (let j = 1; j < previousChunks; j++) out.push(serializeCookie(`${name}.${j}`, '', { ...a, maxAge: 0 }));
  return out;
}
