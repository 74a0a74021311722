/**
 * One OTLP/HTTP POST on node:http / node:https (lighter than fetch for a body sent many times a second): the whole
 * exchange within `timeoutMs`, the answer's body read and discarded up to 64 KiB, the status returned.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Sends `body` to `url`; resolves to the HTTP status, rejects on a network error, a timeout or an oversized answer. */
export type OtlpSend = (url: string, headers: Readonly<Record<string, string>>, body: Buffer, timeoutMs: number) => Promise<number>;

const MAX_ANSWER_BYTES = 64 * 1024;

/** The default OtlpSend. */
export const sendOtlp: OtlpSend = (url, headers, body, timeoutMs) => new Promise<number>((resolve, reject) => {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = request(target, { method: 'POST', headers: { ...headers, 'content-length': body.length } });
  const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
  timer.unref();
  const done = (err: Error | undefined, status?: number): void => {
    clearTimeout(timer);
    if (err !== undefined) reject(err);
    else resolve(status ?? 0);
  };
  req.once('error', (err) => done(err));
  req.once('response', (res: IncomingMessage) => {
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`answer larger than the ${MAX_ANSWER_BYTES}-byte limit`));
    });
    res.once('end', () => done(undefined, res.statusCode));
    res.once('error', (err) => done(err));
  });
  req.end(body);
});
