/** The policy in force, re-read when its file changes. An invalid new file never replaces the one in force. */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadPolicy } from '../policy/load.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { formatProblem } from '../util/problems.js';
import type { Logger } from '../util/log.js';
import type { Metrics } from '../metrics/metrics.js';

/** Result of reading the policy file. */
export type LoadResult = { ok: true; policy: CompiledPolicy } | { ok: false; problems: string[] };

/** Reads and compiles the policy file; never throws. */
export function readPolicyFile(file: string): LoadResult & { warnings?: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [`${file}: cannot read policy: ${(err as NodeJS.ErrnoException).code ?? String(err)}`] };
  }
  // Secret files of rules' upstream headers are read with the policy, on every (re)load.
  const r = loadPolicy(text, file, { readSecret: (f) => readFileSync(f, 'utf8') });
  if (r.value === undefined || r.errors.length > 0) return { ok: false, problems: r.errors.map(formatProblem) };
  return { ok: true, policy: r.value, warnings: r.warnings.map(formatProblem) };
}

/** Holds the current policy and watches its file. */
export class PolicyStore {
  #policy: CompiledPolicy;
  #text = '';
  readonly #file: string;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;

  constructor(file: string, initial: CompiledPolicy, log: Logger, metrics: Metrics) {
    this.#file = file;
    this.#policy = initial;
    this.#log = log;
    this.#metrics = metrics;
    this.#text = safeRead(file);
    metrics.policyRules.set(initial.rules.length);
  }

  /** The policy in force. */
  get current(): CompiledPolicy {
    return this.#policy;
  }

  /**
   * Watches the file's directory (Kubernetes swaps ConfigMap files through a symlink, so the file itself
   * is replaced, not written) and polls as a fallback for filesystems without events.
   */
  watch(pollMs = 2000): void {
    try {
      this.#watcher = watch(dirname(this.#file), (_event, name) => {
        if (name === null || name === basename(this.#file) || name.startsWith('..')) this.#schedule();
      });
      this.#watcher.on('error', (err) => this.#log.warn('policy watch failed; polling only', { error: err.message }));
    } catch (err) {
      this.#log.warn('policy watch unavailable; polling only', { error: err instanceof Error ? err.message : String(err) });
    }
    this.#poll = setInterval(() => this.reloadIfChanged(), pollMs);
    this.#poll.unref();
  }

  #schedule(): void {
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => this.reloadIfChanged(), 100);
    this.#debounce.unref();
  }

  /** Re-reads the file; swaps the policy only when the text changed and the new file is valid. */
  reloadIfChanged(): 'unchanged' | 'reloaded' | 'rejected' {
    const text = safeRead(this.#file);
    if (text === this.#text) return 'unchanged';
    this.#text = text;
    const r = readPolicyFile(this.#file);
    if (!r.ok) {
      this.#metrics.policyReloads.labels('error').inc();
      this.#log.error('policy reload rejected; the previous policy stays in force', { file: this.#file, problems: r.problems.join('\n') });
      return 'rejected';
    }
    this.#policy = r.policy;
    this.#metrics.policyReloads.labels('success').inc();
    this.#metrics.policyRules.set(r.policy.rules.length);
    for (const w of r.warnings ?? []) this.#log.warn('policy warning', { problem: w });
    this.#log.info('policy reloaded', { file: this.#file, rules: r.policy.rules.length });
    return 'reloaded';
  }

  /** Stops watching. */
  close(): void {
    this.#watcher?.close();
    if (this.#poll) clearInterval(this.#poll);
    if (this.#debounce) clearTimeout(this.#debounce);
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
