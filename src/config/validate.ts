/** Pure config validation: YAML + environment (+ `*_FILE` secrets) in, a Config or every problem out. */
import type { Problem, Validated } from '../util/problems.js';
import { algorithmProblem, ALLOWED_ALGORITHMS, issuerProblem, keycloakIssuerProblem } from './checks.js';
import { KEYS } from './keys.js';
import { fail, forEachItem, missing, orDefault, readBool, readInt, readList, readString, required, warn } from './read.js';
import { readIdpBounds, readLimits, readRedisBounds, readShutdown, readTracing } from './runtime-settings.js';
import { readServer } from './server-settings.js';
import { readHeaders, readSession } from './session-settings.js';
import { createContext, type Ctx, type RawConfigInput } from './source.js';
import type { Config } from './types.js';

export type { RawConfigInput } from './source.js';

/** Validates the config file and environment together, reporting every problem at once; never throws. */
export function validateConfig(input: RawConfigInput): Validated<Config> {
  // Without a readable document the other problems are guesses; report the syntax errors alone.
  if (input.yaml !== undefined && input.yaml.errors.length > 0) return { errors: [...input.yaml.errors], warnings: [] };
  const ctx = createContext(input);
  const issuer = readIssuer(ctx);
  const client = readClient(ctx);
  const tokens = readTokens(ctx);
  const session = readSession(ctx);
  const headers = readHeaders(ctx);
  const server = readServer(ctx);
  const limits = readLimits(ctx);
  const shutdown = readShutdown(ctx);
  const idp = readIdpBounds(ctx);
  const redis = readRedisBounds(ctx);
  const tracing = readTracing(ctx, input.env);
  if (ctx.errors.length > 0 || issuer === undefined || client === undefined || session === undefined || headers === undefined || server === undefined) {
    return { errors: inOrder(ctx.errors), warnings: inOrder(ctx.warnings) };
  }
  return { value: { ...issuer, ...client, ...tokens, ...session, headers, ...server, limits, shutdown, idp, redis, ...(tracing === undefined ? {} : { tracing }) }, errors: [], warnings: inOrder(ctx.warnings) };
}

/** File problems in reading order (line, then column), then environment problems in the order found. */
function inOrder(problems: readonly Problem[]): Problem[] {
  const rank = (p: Problem): number => (p.source.kind === 'file' ? p.source.line * 1e6 + p.source.column : Number.MAX_SAFE_INTEGER);
  return [...problems].sort((a, b) => rank(a) - rank(b));
}

/** issuer and allowInsecureIssuer. */
function readIssuer(ctx: Ctx): Pick<Config, 'issuer' | 'allowInsecureIssuer'> | undefined {
  const insecure = readBool(ctx, KEYS.allowInsecureIssuer);
  const allowInsecureIssuer = orDefault(insecure, false);
  if (insecure.state === 'ok' && allowInsecureIssuer) warn(ctx, insecure.found, 'is true: an http issuer is allowed; use this for local development only');
  const read = readString(ctx, KEYS.issuer);
  const issuer = required(ctx, KEYS.issuer, read);
  if (issuer === undefined || read.state !== 'ok') return undefined;
  const problem = issuerProblem(issuer, allowInsecureIssuer);
  if (problem !== undefined) {
    fail(ctx, read.found, problem);
    return undefined;
  }
  // Kept verbatim: `iss` is compared exactly (no normalisation), and Keycloak issuers never end in "/".
  if (issuer.endsWith('/')) warn(ctx, read.found, 'ends with "/": Keycloak issuers have none, and iss must match exactly, so tokens would be refused');
  const notKeycloak = keycloakIssuerProblem(issuer);
  if (notKeycloak !== undefined && !issuer.endsWith('/')) warn(ctx, read.found, notKeycloak);
  return { issuer, allowInsecureIssuer };
}

const AUDIENCE_MESSAGE =
  'at least one of audiences ($KEYGATE_AUDIENCES) or authorizedParties ($KEYGATE_AUTHORIZED_PARTIES) must be non-empty: ' +
  'a bearer token is accepted only when its aud contains an audience or its azp is an authorized party. ' +
  'Keycloak access tokens usually carry aud=account (shared by every client) and azp=<the requesting client>, ' +
  "so list your callers' client IDs in authorizedParties, or add an audience mapper in Keycloak and list that audience";

/** clientId, clientSecret, audiences and authorizedParties (at least one of the last two). */
function readClient(ctx: Ctx): Pick<Config, 'clientId' | 'clientSecret' | 'audiences' | 'authorizedParties'> | undefined {
  const clientId = required(ctx, KEYS.clientId, readString(ctx, KEYS.clientId));
  const clientSecret = required(ctx, KEYS.clientSecret, readString(ctx, KEYS.clientSecret, true));
  const aud = readList(ctx, KEYS.audiences);
  const azp = readList(ctx, KEYS.authorizedParties);
  const audiences = orDefault(aud, []).map((i) => i.value);
  const authorizedParties = orDefault(azp, []).map((i) => i.value);
  forEachItem(aud, ({ value, index }, found) => {
    if (value === 'account') warn(ctx, found, '"account" is the audience Keycloak puts in every access token of the realm; accepting it accepts tokens issued to any client', index);
  });
  if (aud.state !== 'invalid' && azp.state !== 'invalid' && audiences.length === 0 && authorizedParties.length === 0) {
    const found = aud.state === 'ok' ? aud.found : azp.state === 'ok' ? azp.found : undefined;
    ctx.errors.push(found === undefined ? { ...missing(ctx, KEYS.audiences), message: AUDIENCE_MESSAGE } : found.problem(AUDIENCE_MESSAGE));
  }
  if (clientId === undefined || clientSecret === undefined) return undefined;
  return { clientId, clientSecret, audiences, authorizedParties };
}

/** algorithms, clockToleranceSeconds, introspection and basicClients. */
function readTokens(ctx: Ctx): Pick<Config, 'algorithms' | 'clockToleranceSeconds' | 'introspection' | 'basicClients'> {
  const read = readList(ctx, KEYS.algorithms);
  const algorithms: string[] = [];
  if (read.state === 'ok' && read.value.length === 0) fail(ctx, read.found, `must list at least one algorithm (${ALLOWED_ALGORITHMS.join(', ')})`);
  forEachItem(read, ({ value, index }, found) => {
    const problem = algorithmProblem(value);
    if (problem !== undefined) fail(ctx, found, problem, index);
    else if (algorithms.includes(value)) warn(ctx, found, `${value} is listed twice`, index);
    else algorithms.push(value);
  });
  return {
    algorithms: read.state === 'absent' ? ['RS256', 'PS256', 'ES256'] : algorithms,
    clockToleranceSeconds: orDefault(readInt(ctx, KEYS.clockTolerance, 0, 300), 30),
    introspection: orDefault(readBool(ctx, KEYS.introspection), false),
    basicClients: readBasicClients(ctx),
  };
}

/** basicClients: client ids, each once; Keycloak's built-in clients are refused (they are never workers). */
function readBasicClients(ctx: Ctx): string[] {
  const read = readList(ctx, KEYS.basicClients);
  const out: string[] = [];
  forEachItem(read, ({ value, index }, found) => {
    if (value.includes(':')) fail(ctx, found, `must be a client id without ":" (Basic credentials split client_id:client_secret at the first colon), got ${JSON.stringify(value)}`, index);
    else if (['admin-cli', 'account', 'account-console', 'broker', 'realm-management', 'security-admin-console'].includes(value)) fail(ctx, found, `must not be Keycloak's built-in client ${JSON.stringify(value)}`, index);
    else if (out.includes(value)) warn(ctx, found, `${value} is listed twice`, index);
    else out.push(value);
  });
  return out;
}

