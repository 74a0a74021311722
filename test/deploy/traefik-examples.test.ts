/**
 * The examples' Traefik files (examples/<name>/traefik/) and the shipped traefik/ files describe the same keygate
 * middleware: it must not drift. What may differ is named here; everything else is compared field by field.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isRecord, record, ROOT, yamlDocument } from './support.js';

/** Examples whose keygate runs with passAccessToken: true, so their middleware also copies Authorization. */
const PASS_ACCESS_TOKEN = new Set(['temporal-ui']);
/**
 * Fields the shipped middleware sets and the examples do not (yet). The examples are local demos over plain HTTP; this
 * list is the known difference, reported rather than hidden: remove a name once the examples set it.
 */
const NOT_IN_EXAMPLES = ['maxResponseBodySize'] as const;

function forwardAuth(file: string): Record<string, unknown> {
  const doc = record(yamlDocument(file), file);
  const mw = record(record(record(doc['http'], `${file} http`)['middlewares'], `${file} middlewares`)['keygate'], `${file} keygate`);
  return record(mw['forwardAuth'], `${file} keygate.forwardAuth`);
}

const examples = readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .filter((name) => readdirSync(join(ROOT, 'examples', name)).includes('traefik'));

describe('traefik: the examples\' middleware is the shipped one', () => {
  it('there are examples with Traefik files', () => assert.ok(examples.length >= 3, examples.join(', ')));
  for (const name of examples) {
    it(`examples/${name}/traefik/dynamic.yml: the keygate middleware equals traefik/dynamic/keygate.yml's (known differences aside)`, () => {
      const shipped = forwardAuth('traefik/dynamic/keygate.yml');
      const example = forwardAuth(`examples/${name}/traefik/dynamic.yml`);
      const { maxResponseBodySize: _known, ...want } = shipped;
      assert.ok(NOT_IN_EXAMPLES.every((k) => shipped[k] !== undefined), 'a known difference the shipped file no longer has: update NOT_IN_EXAMPLES');
      const headers = Array.isArray(want['authResponseHeaders']) ? want['authResponseHeaders'] : [];
      const expected = { ...want, authResponseHeaders: PASS_ACCESS_TOKEN.has(name) ? [...headers, 'Authorization'] : headers };
      const got = Object.fromEntries(Object.entries(example).filter(([k]) => !NOT_IN_EXAMPLES.includes(k as (typeof NOT_IN_EXAMPLES)[number])));
      assert.deepEqual(got, expected);
    });
    it(`examples/${name}/traefik/traefik.yml: no trusted forwarded headers (the demo's entry point trusts nobody)`, () => {
      const doc = record(yamlDocument(`examples/${name}/traefik/traefik.yml`), name);
      for (const [ep, def] of Object.entries(record(doc['entryPoints'], 'entryPoints'))) {
        const fh = isRecord(def) ? def['forwardedHeaders'] : undefined;
        assert.ok(!isRecord(fh) || (fh['insecure'] !== true && fh['trustedIPs'] === undefined), `${name}: entry point ${ep} trusts X-Forwarded-* from clients`);
      }
    });
  }
});
