/** keygate_decisions_total and keygate_decision_duration_seconds as /metrics shows them (recorded as plain numbers, exposed at scrape). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DURATION_BUCKETS, createMetrics } from '../../src/metrics/metrics.js';

/** Every sample line of `name` as labels → value. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m?.[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

describe('decision metrics', () => {
  it('counts by decision, rule and reason, and escapes label values', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 3; i++) m.decision('allow', 'api', 'condition_met', 0.0002);
    m.decision('deny', 'api', 'condition_unmet', 0.0002);
    m.decision('deny', 'rule "q"\\x', 'deny_rule', 0.0002);
    const c = samples(await m.registry.metrics(), 'keygate_decisions_total');
    assert.deepEqual([...c], [
      ['{decision="allow",rule="api",reason="condition_met"}', 3],
      ['{decision="deny",rule="api",reason="condition_unmet"}', 1],
      ['{decision="deny",rule="rule \\"q\\"\\\\x",reason="deny_rule"}', 1],
    ]);
  });

  it('keeps cumulative buckets with inclusive upper bounds, +Inf = count, and the sum', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const seen = [0.00001, 0.001, 0.0010001, 0.3, 7];
    for (const s of seen) m.decision('allow', 'r', 'authenticated', s);
    m.decision('error', 'r', 'internal_error', 0.00005);
    const text = await m.registry.metrics();
    const buckets = samples(text, 'keygate_decision_duration_seconds_bucket');
    for (const le of DURATION_BUCKETS) {
      assert.equal(buckets.get(`{le="${le}",decision="allow"}`), seen.filter((s) => s <= le).length, `le=${le}`);
    }
    assert.equal(buckets.get('{le="+Inf",decision="allow"}'), seen.length);
    assert.equal(buckets.get('{le="0.00005",decision="error"}'), 1, 'a value equal to a bound is in that bucket');
    assert.equal(samples(text, 'keygate_decision_duration_seconds_count').get('{decision="allow"}'), seen.length);
    const sum = samples(text, 'keygate_decision_duration_seconds_sum').get('{decision="allow"}') ?? Number.NaN;
    assert.ok(Math.abs(sum - seen.reduce((a, b) => a + b, 0)) < 1e-9, `sum ${sum}`);
  });

  it('starts over after Registry#resetMetrics', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.decision('allow', 'r', 'authenticated', 0.001);
    m.registry.resetMetrics();
    const text = await m.registry.metrics();
    assert.equal(samples(text, 'keygate_decisions_total').size, 0);
    assert.equal(samples(text, 'keygate_decision_duration_seconds_count').size, 0);
    assert.match(text, /# TYPE keygate_decision_duration_seconds histogram/);
  });
});
