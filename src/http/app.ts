/** Express wiring for everything off the hot path: health, readiness, metrics and the sign-in routes. */
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../util/log.js';
import { bodyRefusedAnswer, internalAnswer, notFoundAnswer, writeAnswer } from './respond.js';

/** A readiness check: a name and whether it holds. */
export interface ReadinessCheck {
  readonly name: string;
  readonly ok: () => boolean;
}

/** Dependencies of the express app. */
export interface AppDeps {
  readonly checks: readonly ReadinessCheck[];
  /** Registry to expose on /metrics; undefined when metrics have their own port. */
  readonly registry: Registry | undefined;
  /** Routes under /_keygate (sign-in, callback, logout); absent = bearer-only. */
  readonly keygateRoutes?: Router | undefined;
  readonly log: Logger;
}

/** Builds the express app. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    const failed = deps.checks.filter((c) => !c.ok()).map((c) => c.name);
    res.status(failed.length === 0 ? 200 : 503).json({ ready: failed.length === 0, failed });
  });
  if (deps.registry !== undefined) app.get('/metrics', metricsHandler(deps.registry));
  if (deps.keygateRoutes !== undefined) app.use('/_keygate', deps.keygateRoutes);
  app.use((_req, res) => writeAnswer(res, notFoundAnswer()));
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    // body-parser's refusals (413 too large, 400 malformed, 415) are the client's fault and keep their status.
    const status = clientErrorStatus(err);
    if (status === undefined) deps.log.error('unhandled error in express route', { error: err instanceof Error ? err.message : String(err) });
    if (!res.headersSent) writeAnswer(res, status === undefined ? internalAnswer() : bodyRefusedAnswer(status));
  };
  app.use(onError);
  return app;
}

/** The 4xx status of an error that body-parser marked as exposable (`expose: true`), else undefined. */
function clientErrorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('status' in err) || !('expose' in err)) return undefined;
  const { status, expose } = err;
  return expose === true && typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** Serves a prom-client registry in the text exposition format. */
export function metricsHandler(registry: Registry): express.RequestHandler {
  return (_req, res, next) => {
    registry.metrics().then((text) => {
      res.type(registry.contentType).send(text);
    }, next);
  };
}

/** A second, metrics-only app for `metrics.port`. */
export function createMetricsApp(registry: Registry): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(registry));
  return app;
}
