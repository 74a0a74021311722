import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorsOf, run, SESSION_SECRET, valueOf } from './support.js';

const OTHER_SECRET = 'an0ther-s3ss10n-s3cr3t-for-r0tation-xyz';

const OK: { name: string; env: Record<string, string | undefined>; files: Record<string, string>; yaml?: string; check: (c: ReturnType<typeof valueOf>) => void }[] = [
  {
    name: 'client secret from a file, one trailing newline dropped',
    env: { KEYGATE_CLIENT_SECRET: undefined, KEYGATE_CLIENT_SECRET_FILE: '/run/secrets/cs' },
    files: { '/run/secrets/cs': 'from-file\n' },
    check: (c) => assert.equal(c.clientSecret, 'from-file'),
  },
  {
    name: 'a CRLF ending is one newline',
    env: { KEYGATE_CLIENT_SECRET: undefined, KEYGATE_CLIENT_SECRET_FILE: '/run/secrets/cs' },
    files: { '/run/secrets/cs': 'from-file\r\n' },
    check: (c) => assert.equal(c.clientSecret, 'from-file'),
  },
  {
    name: 'only one trailing newline is dropped; the rest of a secret is kept verbatim',
    env: { KEYGATE_CLIENT_SECRET: undefined, KEYGATE_CLIENT_SECRET_FILE: '/run/secrets/cs' },
    files: { '/run/secrets/cs': ' spaced secret\n\n' },
    check: (c) => assert.equal(c.clientSecret, ' spaced secret\n'),
  },
  {
    name: 'no trailing newline',
    env: { KEYGATE_CLIENT_SECRET: undefined, KEYGATE_CLIENT_SECRET_FILE: '/run/secrets/cs' },
    files: { '/run/secrets/cs': 'exact' },
    check: (c) => assert.equal(c.clientSecret, 'exact'),
  },
  {
    name: 'session secrets one per line',
    env: { KEYGATE_SESSION_SECRETS: undefined, KEYGATE_SESSION_SECRETS_FILE: '/run/secrets/ss' },
    files: { '/run/secrets/ss': `${SESSION_SECRET}\n${OTHER_SECRET}\n` },
    check: (c) => assert.deepEqual(c.sessionSecrets, [SESSION_SECRET, OTHER_SECRET]),
  },
  {
    name: 'session secrets comma-separated, CRLF lines',
    env: { KEYGATE_SESSION_SECRETS: undefined, KEYGATE_SESSION_SECRETS_FILE: '/run/secrets/ss' },
    files: { '/run/secrets/ss': `${SESSION_SECRET},${OTHER_SECRET}\r\n` },
    check: (c) => assert.deepEqual(c.sessionSecrets, [SESSION_SECRET, OTHER_SECRET]),
  },
  {
    name: 'redis URL from a file',
    env: { KEYGATE_REDIS_URL_FILE: '/run/secrets/redis' },
    files: { '/run/secrets/redis': 'rediss://:pw@redis:6380/0\n' },
    check: (c) => assert.equal(c.redisUrl, 'rediss://:pw@redis:6380/0'),
  },
  {
    name: 'a file variable wins over the YAML value',
    env: { KEYGATE_CLIENT_SECRET: undefined, KEYGATE_CLIENT_SECRET_FILE: '/run/secrets/cs' },
    yaml: 'clientSecret: from-yaml',
    files: { '/run/secrets/cs': 'from-file\n' },
    check: (c) => assert.equal(c.clientSecret, 'from-file'),
  },
];

describe('*_FILE secrets: read', () => {
  for (const c of OK) {
    it(c.name, () => c.check(valueOf(run({ env: c.env, files: c.files, ...(c.yaml === undefined ? {} : { yaml: c.yaml }) }))));
  }
});

const BAD: { name: string; env: Record<string, string | undefined>; files?: Record<string, string>; want: string[] }[] = [
  {
    name: 'both X and X_FILE set',
    env: { KEYGATE_CLIENT_SECRET_FILE: '/run/secrets/cs' },
    files: { '/run/secrets/cs': 'x' },
    want: ['$KEYGATE_CLIENT_SECRET_FILE: cannot be set together with $KEYGATE_CLIENT_SECRET; set only one of them'],
  },
  {
    name: 'unreadable file names the variable and the path',
    env: { KEYGATE_CLIENT_SECRET: undefined, KEYGATE_CLIENT_SECRET_FILE: '/run/secrets/missing' },
    want: ['$KEYGATE_CLIENT_SECRET_FILE: cannot read "/run/secrets/missing": ENOENT: no such file or directory'],
  },
  {
    name: 'empty file',
    env: { KEYGATE_SESSION_SECRETS: undefined, KEYGATE_SESSION_SECRETS_FILE: '/run/secrets/ss' },
    files: { '/run/secrets/ss': '\n' },
    want: ['$KEYGATE_SESSION_SECRETS_FILE: the file "/run/secrets/ss" is empty'],
  },
  {
    name: 'problems with a value from a file name the file variable',
    env: { KEYGATE_SESSION_SECRETS: undefined, KEYGATE_SESSION_SECRETS_FILE: '/run/secrets/ss' },
    files: { '/run/secrets/ss': `${SESSION_SECRET}\nshort\n` },
    want: ['$KEYGATE_SESSION_SECRETS_FILE: item 2: must be at least 32 bytes, got 5 bytes'],
  },
  {
    name: 'redis URL file with the wrong scheme',
    env: { KEYGATE_REDIS_URL_FILE: '/run/secrets/redis' },
    files: { '/run/secrets/redis': 'http://:pw@redis\n' },
    want: ['$KEYGATE_REDIS_URL_FILE: must be a redis:// or rediss:// URL, got scheme "http:"'],
  },
  {
    name: 'every file problem at once',
    env: {
      KEYGATE_CLIENT_SECRET: undefined,
      KEYGATE_CLIENT_SECRET_FILE: '/nope/cs',
      KEYGATE_SESSION_SECRETS_FILE: '/run/secrets/ss',
      KEYGATE_REDIS_URL_FILE: '/run/secrets/empty',
    },
    files: { '/run/secrets/ss': SESSION_SECRET, '/run/secrets/empty': '' },
    want: [
      '$KEYGATE_CLIENT_SECRET_FILE: cannot read "/nope/cs": ENOENT: no such file or directory',
      '$KEYGATE_SESSION_SECRETS_FILE: cannot be set together with $KEYGATE_SESSION_SECRETS; set only one of them',
      '$KEYGATE_REDIS_URL_FILE: the file "/run/secrets/empty" is empty',
    ],
  },
];

describe('*_FILE secrets: problems', () => {
  for (const c of BAD) {
    it(c.name, () => {
      const r = run({ env: c.env, files: c.files ?? {} });
      assert.deepEqual(errorsOf(r), c.want);
      assert.equal(r.value, undefined);
    });
  }
});
