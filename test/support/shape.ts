/** Assertion helpers that narrow parsed YAML/JSON in tests, failing with the name of what was expected. */
import assert from 'node:assert/strict';

/** A plain mapping (not null, not a list). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as a mapping, or an assertion failure naming `what`. */
export function record(value: unknown, what: string): Record<string, unknown> {
  assert.ok(isRecord(value), `${what} must be a mapping`);
  return value;
}

/** `value` as a list, or an assertion failure naming `what`. */
export function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} must be a list`);
  return value;
}

/** `value` as a string, or an assertion failure naming `what`. */
export function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what} must be a string`);
  return String(value);
}
