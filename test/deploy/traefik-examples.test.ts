/**
 * The examples' Traefik files (examples/<name>/traefik/) and the shipped traefik/ files describe the same keygate
 * middleware: it must not drift. What may differ is named here; everything else is compared field by field.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { upstreamHeaderNames } from '../../src/cli/proxy-headers.js';
import { loadPolicy } from '../../src/policy/load.js';
import { isRecord, record, ROOT, yamlDocument } from './support.js';

/** Examples whose keygate runs with passAccessToken: true, so their middleware also copies Authorization. */
const PASS_ACCESS_TOKEN = new Set(['temporal-ui']);
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
      const headers = Array.isArray(shipped['authResponseHeaders']) ? shipped['authResponseHeaders'] : [];
      // Besides keygate's identity headers: the access token where keygate passes it, and the example policy's
      // upstream headers (a rule's `headers:`), which Traefik must copy too.
      const policy = loadPolicy(readFileSync(join(ROOT, 'examples', name, 'policy.yaml'), 'utf8'), `examples/${name}/policy.yaml`).value;
      assert.ok(policy !== undefined, `examples/${name}/policy.yaml does not load`);
      const extra = [...(PASS_ACCESS_TOKEN.has(name) ? ['Authorization'] : []), ...upstreamHeaderNames(policy)];
      assert.deepEqual(example, { ...shipped, authResponseHeaders: [...headers, ...extra] });
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
