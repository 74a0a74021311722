/** Builds the identity of `keygate explain` from its flags. */
import type { Identity } from '../identity/types.js';

/** The identity flags of `keygate explain`. */
export interface IdentityFlags {
  readonly user?: string | undefined;
  readonly roles?: string[] | undefined;
  readonly groups?: string[] | undefined;
  readonly scopes?: string[] | undefined;
  readonly anonymous?: boolean | undefined;
}

/** The identity the flags describe (undefined = anonymous), or an error message for contradictory flags. */
export function identityFromFlags(flags: IdentityFlags): { identity: Identity | undefined } | { error: string } {
  const roles = splitList(flags.roles);
  const groups = splitList(flags.groups);
  const scopes = splitList(flags.scopes);
  const described = flags.user !== undefined || flags.roles !== undefined || flags.groups !== undefined || flags.scopes !== undefined;
  if (flags.anonymous === true) {
    return described ? { error: '--anonymous cannot be combined with --user, --roles, --groups or --scopes' } : { identity: undefined };
  }
  if (!described) return { identity: undefined };
  const bad = groups.find((g) => !g.startsWith('/'));
  if (bad !== undefined) return { error: `--groups takes full group paths starting with "/", got ${JSON.stringify(bad)}` };
  const user = flags.user ?? '';
  return { identity: makeIdentity(user, roles, groups, scopes) };
}

/** An identity for policy tests: `sub` is derived from the username. */
export function makeIdentity(user: string, roles: readonly string[], groups: readonly string[], scopes: readonly string[]): Identity {
  return { sub: user === '' ? 'cli-subject' : `cli-${user}`, username: user, email: '', name: user, roles, groups, scopes, via: 'bearer' };
}

/** `["a,b", "c"]` → `["a", "b", "c"]` (flags may repeat and hold comma lists). */
function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}
