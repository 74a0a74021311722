/** Small HTTP helpers for the look-alike's own endpoints (login page and the two shims). */

import type { IncomingMessage, ServerResponse } from 'node:http';

const FORM_LIMIT_BYTES = 64 * 1024;

/** Reads an `application/x-www-form-urlencoded` body; any other content type gives an empty form. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  if (req.method !== 'POST') return new URLSearchParams();
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > FORM_LIMIT_BYTES) throw new RangeError(`request body is larger than ${FORM_LIMIT_BYTES} bytes`);
    chunks.push(buffer);
  }
  if (type !== 'application/x-www-form-urlencoded') return new URLSearchParams();
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Sends a JSON answer with Keycloak's no-store cache headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Sends an HTML page. */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html;charset=utf-8',
    'cache-control': 'no-store, must-revalidate, max-age=0',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Client id and secret presented by a confidential client. */
export interface PresentedClient {
  readonly clientId: string;
  readonly secret: string;
}

/**
 * Client credentials from either `client_secret_basic` (RFC 6749 §2.3.1: form-encoded, then base64)
 * or `client_secret_post`; Keycloak accepts both for every confidential client. Undefined when
 * neither is present, or when both are (one mechanism only, RFC 6749 §2.3).
 */
export function presentedClient(req: IncomingMessage, form: URLSearchParams): PresentedClient | undefined {
  const basic = basicCredentials(req.headers.authorization);
  const postId = form.get('client_id');
  const postSecret = form.get('client_secret');
  if (basic !== undefined) {
    if (postSecret !== null || (postId !== null && postId !== basic.clientId)) return undefined;
    return basic;
  }
  if (postId === null || postSecret === null) return undefined;
  return { clientId: postId, secret: postSecret };
}

function basicCredentials(header: string | undefined): PresentedClient | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
    };
  } catch {
    return undefined;
  }
}

/** The bearer token of a request (RFC 6750 §2.1 header, or §2.2 form body). */
export function bearerToken(req: IncomingMessage, form: URLSearchParams): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] ?? form.get('access_token') ?? undefined;
}
