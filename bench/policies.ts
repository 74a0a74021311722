/** Generated bench policies (YAML, as an operator would write them) and the request targets that exercise them. */
import { READER_ROLE } from './tokens.js';

/** Host of the rule in the middle of the 50-rule policy. */
export const MIDDLE_HOST = 'app-05.bench.test';
/** Name and position of the rule the warm scenario matches. */
export const MIDDLE_RULE = { name: 'app-05-read', index: 25 } as const;

/** A forward-auth target: host and request URI. */
export interface BenchTarget {
  readonly host: string;
  readonly uri: string;
}

/** The rules protecting one host, in order; the last one (GET/HEAD on /api/** and /ui/** for bench-reader) is what the bench hits. */
function hostRules(prefix: string, host: string, services: number): string[] {
  const rules = [
    `  - name: ${prefix}-metrics\n    hosts: [${host}]\n    paths: [/metrics]\n    deny: true`,
    `  - name: ${prefix}-ns\n    hosts: [${host}]\n    paths: ["/api/v1/namespaces/{ns}/**"]\n    allow:\n      - anyRole: ["ns-{ns}-writer"]\n      - anyGroup: [/platform/admins]`,
    `  - name: ${prefix}-write\n    hosts: [${host}]\n    methods: [POST, PUT, PATCH, DELETE]\n    paths: ["/api/**"]\n    allow:\n      anyRole: [writer, "${prefix}:operator"]`,
  ];
  for (let s = 0; s < services; s++) {
    rules.push(`  - name: ${prefix}-svc${s}\n    hosts: [${host}]\n    paths: ["/svc${s}/*/items/**"]\n    allow:\n      anyGroup: [/bench/svc${s}]`);
  }
  rules.push(`  - name: ${prefix}-read\n    hosts: [${host}]\n    methods: [GET, HEAD]\n    paths: ["/api/**", "/ui/**"]\n    allow:\n      anyRole: [${READER_ROLE}]`);
  return rules;
}

/** 50 rules: two any-host rules, then 12 hosts × 4 rules; `app-05-read` is rules[25]. */
export function middlePolicy(): string {
  const rules = [
    '  - name: health\n    paths: [/healthz]\n    allow: public',
    '  - name: no-admin-api\n    paths: ["/api/admin/**"]\n    deny: true',
  ];
  for (let h = 0; h < 12; h++) {
    const n = String(h).padStart(2, '0');
    rules.push(...hostRules(`app-${n}`, `app-${n}.bench.test`, 0));
  }
  return `version: 1\ndefault: deny\nrules:\n${rules.join('\n')}\n`;
}

/** Name of large-policy host `h`. */
export function largeHost(h: number): string {
  return `h${String(h).padStart(4, '0')}.large.test`;
}

/** `hosts` hosts × 10 rules each (10 rules: 1 host; 10,000 rules: 1,000 hosts). */
export function largePolicy(hosts: number): string {
  const rules: string[] = [];
  for (let h = 0; h < hosts; h++) rules.push(...hostRules(`h${String(h).padStart(4, '0')}`, largeHost(h), 6));
  return `version: 1\ndefault: deny\nrules:\n${rules.join('\n')}\n`;
}

/**
 * The rules of one host with role and group patterns (issue 13) in every condition: the same shapes and
 * decisions as hostRules, but `bench-reader` is allowed by the pattern `bench-*`, after a pattern that fails.
 */
function patternHostRules(prefix: string, host: string, services: number): string[] {
  const rules = [
    `  - name: ${prefix}-metrics\n    hosts: [${host}]\n    paths: [/metrics]\n    deny: true`,
    `  - name: ${prefix}-ns\n    hosts: [${host}]\n    paths: ["/api/v1/namespaces/{ns}/**"]\n    allow:\n      - anyRole: ["ns-{ns}-*"]\n      - anyGroup: ["/platform/*/admins"]`,
    `  - name: ${prefix}-write\n    hosts: [${host}]\n    methods: [POST, PUT, PATCH, DELETE]\n    paths: ["/api/**"]\n    allow:\n      anyRole: ["writer-*", "${prefix}:op*"]`,
  ];
  for (let s = 0; s < services; s++) {
    rules.push(`  - name: ${prefix}-svc${s}\n    hosts: [${host}]\n    paths: ["/svc${s}/*/items/**"]\n    allow:\n      anyGroup: ["/bench/*/svc${s}"]`);
  }
  rules.push(`  - name: ${prefix}-read\n    hosts: [${host}]\n    methods: [GET, HEAD]\n    paths: ["/api/**", "/ui/**"]\n    allow:\n      anyRole: ["viewer-*-ro", "bench-*"]`);
  return rules;
}

/** largePolicy with patterns in every role and group value (10 rules: 1 host; 10,000 rules: 1,000 hosts). */
export function largePatternPolicy(hosts: number): string {
  const rules: string[] = [];
  for (let h = 0; h < hosts; h++) rules.push(...patternHostRules(`h${String(h).padStart(4, '0')}`, largeHost(h), 6));
  return `version: 1\ndefault: deny\nrules:\n${rules.join('\n')}\n`;
}

/** Targets of the warm, deny and anonymous scenarios: the middle rule's host, a few API paths. */
export function middleTargets(): BenchTarget[] {
  return Array.from({ length: 16 }, (_, i) => ({ host: MIDDLE_HOST, uri: `/api/v1/items/${1000 + i}?page=${i % 3}` }));
}

/** Targets spread over every host of a large policy, each decided by the host's last rule (allowed for bench-reader). */
export function largeTargets(hosts: number, count: number): BenchTarget[] {
  return Array.from({ length: count }, (_, i) => ({ host: largeHost((i * 7919) % hosts), uri: `/api/v1/items/${i}?page=1` }));
}

/** The file format of bench.lua's KG_TARGETS. */
export function targetLines(targets: readonly BenchTarget[]): string {
  return `${targets.map((t) => `${t.host}\t${t.uri}`).join('\n')}\n`;
}
