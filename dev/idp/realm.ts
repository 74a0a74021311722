/** The realm's live data: users (with mutable roles), clients and redirect URI matching. */

import { randomUUID, timingSafeEqual } from 'node:crypto';

import { DevIdpError } from './errors.js';
import type { ClientRoles, LookalikeClient, LookalikeUser, UserRolesUpdate } from './types.js';

/** A user as the realm holds it: a fixed subject and the current roles and groups. */
export interface RealmUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly email: string | undefined;
  readonly name: string | undefined;
  realmRoles: readonly string[];
  clientRoles: ClientRoles;
  groups: readonly string[];
}

/** A client's service account: Keycloak gives it its own user id and username. */
export interface ServiceAccount {
  readonly id: string;
  readonly username: string;
  readonly realmRoles: readonly string[];
  readonly clientRoles: ClientRoles;
}

/** A client as the realm holds it, with compiled redirect URI matchers. */
export interface RealmClient {
  readonly clientId: string;
  readonly secret: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly backchannelLogoutUri: string | undefined;
  readonly serviceAccount: ServiceAccount | undefined;
  readonly redirectAllowed: (uri: string) => boolean;
  readonly postLogoutRedirectAllowed: (uri: string) => boolean;
}

/**
 * Compiles redirect URI patterns (see LookalikeClient): a pattern ending in `/*` matches any rest of
 * the URI after that slash; any other `*` matches within one host label, port or path segment.
 */
export function compileUriPatterns(patterns: readonly string[]): (uri: string) => boolean {
  const regexes = patterns.map((pattern) => {
    const anyRest = pattern.endsWith('/*');
    const core = anyRest ? pattern.slice(0, -1) : pattern;
    const body = core.split('*').map(escapeRegExp).join('[^/?#.:@]*');
    return new RegExp(`^${body}${anyRest ? '.*' : ''}$`);
  });
  return (uri) => regexes.some((regex) => regex.test(uri));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The realm: users and clients, looked up by the provider, the login page and the shims. */
export class Realm {
  readonly name: string;
  readonly #users = new Map<string, RealmUser>();
  readonly #clients = new Map<string, RealmClient>();

  constructor(name: string, users: readonly LookalikeUser[], clients: readonly LookalikeClient[]) {
    this.name = name;
    for (const user of users) this.#addUser(user);
    for (const client of clients) this.#addClient(client);
  }

  /** Users in insertion order. */
  get users(): readonly RealmUser[] {
    return [...this.#users.values()];
  }

  /** Clients in insertion order. */
  get clients(): readonly RealmClient[] {
    return [...this.#clients.values()];
  }

  /** The user with this username, or undefined. */
  findUser(username: string): RealmUser | undefined {
    return this.#users.get(username.toLowerCase());
  }

  /** The user with this username; throws ERR_DEV_IDP_UNKNOWN_USER otherwise. */
  getUser(username: string): RealmUser {
    const user = this.findUser(username);
    if (user === undefined) {
      throw new DevIdpError('ERR_DEV_IDP_UNKNOWN_USER', `realm "${this.name}" has no user "${username}"`);
    }
    return user;
  }

  /** The user with this subject, or undefined. */
  findUserById(id: string): RealmUser | undefined {
    return this.users.find((user) => user.id === id);
  }

  /** Keycloak's login check: username or email (case-insensitive) and the exact password. */
  authenticate(login: string, password: string): RealmUser | undefined {
    const key = login.trim().toLowerCase();
    const user = this.findUser(key) ?? this.users.find((u) => u.email?.toLowerCase() === key);
    return user !== undefined && secretEquals(user.password, password) ? user : undefined;
  }

  /** The client with this id, or undefined. */
  findClient(clientId: string): RealmClient | undefined {
    return this.#clients.get(clientId);
  }

  /** The client when clientId and secret match, else undefined. */
  authenticateClient(clientId: string, secret: string): RealmClient | undefined {
    const client = this.findClient(clientId);
    return client !== undefined && secretEquals(client.secret, secret) ? client : undefined;
  }

  /** Replaces the given fields of a user's roles and groups. */
  setUserRoles(username: string, update: UserRolesUpdate): void {
    const user = this.getUser(username);
    if (update.realmRoles !== undefined) user.realmRoles = [...update.realmRoles];
    if (update.clientRoles !== undefined) user.clientRoles = copyClientRoles(update.clientRoles);
    if (update.groups !== undefined) user.groups = [...update.groups];
  }

  #addUser(user: LookalikeUser): void {
    const key = user.username.toLowerCase();
    if (key === '' || this.#users.has(key)) {
      throw new DevIdpError('ERR_DEV_IDP_BAD_OPTIONS', `users: username "${user.username}" is empty or used twice`);
    }
    for (const group of user.groups ?? []) {
      if (!group.startsWith('/')) {
        throw new DevIdpError('ERR_DEV_IDP_BAD_OPTIONS', `users: group "${group}" of "${user.username}" must be a full path like /a/b`);
      }
    }
    this.#users.set(key, {
      id: randomUUID(),
      username: key,
      password: user.password,
      email: user.email,
      name: user.name,
      realmRoles: [...(user.realmRoles ?? [])],
      clientRoles: copyClientRoles(user.clientRoles ?? {}),
      groups: [...(user.groups ?? [])],
    });
  }

  #addClient(client: LookalikeClient): void {
    if (client.clientId === '' || this.#clients.has(client.clientId)) {
      throw new DevIdpError('ERR_DEV_IDP_BAD_OPTIONS', `clients: clientId "${client.clientId}" is empty or used twice`);
    }
    const redirectUris = [...(client.redirectUris ?? [])];
    const postLogoutRedirectUris = [...(client.postLogoutRedirectUris ?? [])];
    const roles = client.serviceAccountRoles;
    this.#clients.set(client.clientId, {
      clientId: client.clientId,
      secret: client.secret,
      redirectUris,
      postLogoutRedirectUris,
      backchannelLogoutUri: client.backchannelLogoutUri,
      serviceAccount: roles === undefined ? undefined : {
        id: randomUUID(),
        username: `service-account-${client.clientId}`.toLowerCase(),
        realmRoles: [...(roles.realmRoles ?? [])],
        clientRoles: copyClientRoles(roles.clientRoles ?? {}),
      },
      redirectAllowed: compileUriPatterns(redirectUris),
      postLogoutRedirectAllowed: compileUriPatterns(postLogoutRedirectUris),
    });
  }
}

function copyClientRoles(roles: ClientRoles): ClientRoles {
  return Object.fromEntries(Object.entries(roles).map(([client, list]) => [client, [...list]]));
}

function secretEquals(expected: string, actual: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}
