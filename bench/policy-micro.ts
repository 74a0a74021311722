/**
 * Micro-benchmark of the pure policy engine, in its own process: `loadPolicy` (parse + validate + compile + shadow
 * check, i.e. what boot and reload pay) at 10,000 rules, and `evaluate()` per call at 10 vs 10,000 rules; the same
 * again for a policy whose every role and group value is a `*` pattern (issue 13).
 * Usage: node dist/bench/policy-micro.js [patterns]  → prints one JSON line. Each policy kind runs in a fresh
 * process, so that both first loads pay the same cold start.
 */
import type { Identity } from '../src/identity/types.js';
import { evaluate, loadPolicy, type CompiledPolicy } from '../src/policy/index.js';
import type { MatchTarget } from '../src/policy/evaluate.js';
import { largeHost, largePatternPolicy, largePolicy } from './policies.js';
import { READER_ROLE } from './tokens.js';

const IDENTITY: Identity = {
  sub: '7d2c3e0a-8f4b-4c1e-9a55-0b7f3c2d1e25', username: 'bench-user-25', email: 'bench-user-25@bench.test', name: 'Bench User 25',
  roles: [READER_ROLE, 'offline_access'], groups: ['/bench/team'], scopes: ['openid', 'profile', 'email'], via: 'bearer',
};

const URIS = ['/api/v1/items/17', '/svc3/a/items/b/c', '/api/v1/namespaces/ns1/workflows', '/metrics', '/ui/index.html', '/other'];

function targets(hosts: number): MatchTarget[] {
  return Array.from({ length: 1024 }, (_, i) => ({ method: i % 5 === 0 ? 'POST' : 'GET', host: largeHost((i * 7919) % hosts), path: URIS[i % URIS.length] ?? '/' }));
}

function load(hosts: number, make: (hosts: number) => string = largePolicy): { policy: CompiledPolicy; ms: number } {
  const text = make(hosts);
  const t0 = performance.now();
  const r = loadPolicy(text, `bench-${hosts * 10}.yaml`);
  const ms = performance.now() - t0;
  if (r.value === undefined) throw new Error(`bench policy invalid: ${JSON.stringify(r.errors.slice(0, 3))}`);
  if (r.value.rules.length !== hosts * 10) throw new Error(`expected ${hosts * 10} rules, got ${r.value.rules.length}`);
  return { policy: r.value, ms };
}

/** Nanoseconds per evaluate() call over `iterations` calls cycling `ts`. */
function nsPerCall(policy: CompiledPolicy, ts: readonly MatchTarget[], iterations: number): { ns: number; allows: number } {
  let allows = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const d = evaluate(policy, ts[i & 1023] as MatchTarget, IDENTITY);
    if (d.kind === 'allow') allows++;
  }
  return { ns: Number(process.hrtime.bigint() - t0) / iterations, allows };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Load times and evaluate() per call at 10 and 10,000 rules of the policies `make` builds. */
function measure(make: (hosts: number) => string): { loadMs10k: number; reloadMs10k: number; loadMs10: number; ns10: number; ns10k: number; ratio: number } {
  const big = load(1000, make);
  const bigReload = load(1000, make);
  const small = load(1, make);
  const smallTargets = targets(1);
  const bigTargets = targets(1000);
  // Same decisions on both sides: the small policy is one host of the large one.
  const a = nsPerCall(small.policy, smallTargets, 1024).allows;
  const b = nsPerCall(big.policy, bigTargets, 1024).allows;
  if (a !== b) throw new Error(`10 and 10,000 rule policies disagree on the same targets (${a} vs ${b} allows)`);
  if (a === 0) throw new Error('no target is allowed: the bench would measure denials only');
  const at10: number[] = [];
  const at10k: number[] = [];
  for (let round = 0; round < 9; round++) {
    at10.push(nsPerCall(small.policy, smallTargets, 400_000).ns);
    at10k.push(nsPerCall(big.policy, bigTargets, 400_000).ns);
  }
  const ns10 = median(at10);
  const ns10k = median(at10k);
  return { loadMs10k: big.ms, reloadMs10k: bigReload.ms, loadMs10: small.ms, ns10, ns10k, ratio: ns10k / ns10 };
}

process.stdout.write(`${JSON.stringify(measure(process.argv[2] === 'patterns' ? largePatternPolicy : largePolicy))}\n`);
