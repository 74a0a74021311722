import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorsOf, run, warningsOf, type RunInput } from './support.js';

// Secret-looking values that must never be echoed, whatever is wrong with them.
const SHORT_SESSION = 'tiny-s3cr3t-VALUE';
const NUMERIC_SECRET = '987654321987';
const REDIS_PASSWORD = 'r3d1s-PASSW0RD';
const ISSUER_PASSWORD = 'iss-PASSW0RD';
const FILE_SECRET = 'f1le-s3cr3t-VALUE';

const cases: { name: string; input: RunInput; secrets: string[] }[] = [
  { name: 'short session secrets from env', input: { env: { KEYGATE_SESSION_SECRETS: `${SHORT_SESSION},${SHORT_SESSION}x` } }, secrets: [SHORT_SESSION] },
  { name: 'short session secret in YAML', input: { yaml: `sessionSecrets: ["${SHORT_SESSION}"]`, env: { KEYGATE_SESSION_SECRETS: undefined } }, secrets: [SHORT_SESSION] },
  { name: 'numeric client secret in YAML', input: { yaml: `clientSecret: ${NUMERIC_SECRET}`, env: { KEYGATE_CLIENT_SECRET: undefined } }, secrets: [NUMERIC_SECRET] },
  { name: 'numeric session secret item in YAML', input: { yaml: `sessionSecrets: [${NUMERIC_SECRET}]`, env: { KEYGATE_SESSION_SECRETS: undefined } }, secrets: [NUMERIC_SECRET] },
  { name: 'session secrets given as a string in YAML', input: { yaml: `sessionSecrets: ${SHORT_SESSION}`, env: { KEYGATE_SESSION_SECRETS: undefined } }, secrets: [SHORT_SESSION] },
  { name: 'redis URL with a password and the wrong scheme', input: { env: { KEYGATE_REDIS_URL: `http://user:${REDIS_PASSWORD}@redis:6379` } }, secrets: [REDIS_PASSWORD] },
  { name: 'redis URL with a password that is not a URL', input: { yaml: `redisUrl: "redis://:${REDIS_PASSWORD}@[bad"` }, secrets: [REDIS_PASSWORD] },
  { name: 'issuer with credentials', input: { env: { KEYGATE_ISSUER: `https://admin:${ISSUER_PASSWORD}@kc.example.com/realms/a` } }, secrets: [ISSUER_PASSWORD] },
  { name: 'issuer with credentials and the wrong scheme', input: { env: { KEYGATE_ISSUER: `ftp://admin:${ISSUER_PASSWORD}@kc.example.com/` } }, secrets: [ISSUER_PASSWORD] },
  {
    name: 'secret from a file that is too short, and a conflicting pair',
    input: {
      env: { KEYGATE_SESSION_SECRETS: undefined, KEYGATE_SESSION_SECRETS_FILE: '/s', KEYGATE_CLIENT_SECRET_FILE: '/c' },
      files: { '/s': `${FILE_SECRET}\n`, '/c': FILE_SECRET },
    },
    secrets: [FILE_SECRET],
  },
];

describe('secrets never appear in messages', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = run(c.input);
      assert.ok(r.errors.length > 0, 'the case must produce an error');
      const text = [...errorsOf(r), ...warningsOf(r), JSON.stringify(r.errors), JSON.stringify(r.warnings)].join('\n');
      for (const secret of c.secrets) assert.ok(!text.includes(secret), `message leaks ${secret}:\n${text}`);
    });
  }

  it('says which item and how long instead', () => {
    const r = run({ yaml: `sessionSecrets: [${NUMERIC_SECRET}, "${SHORT_SESSION}"]`, env: { KEYGATE_SESSION_SECRETS: undefined } });
    assert.deepEqual(errorsOf(r), [
      'keygate.yaml:1:18: sessionSecrets[0]: must be a string, got a number',
      'keygate.yaml:1:32: sessionSecrets[1]: must be at least 32 bytes, got 17 bytes',
    ]);
  });
});
