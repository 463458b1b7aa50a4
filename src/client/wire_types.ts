/**
 * The wire bodies the client sends and reads, as plain TypeScript types: the client's published
 * declarations must not name zod, which the server's schemas (src/wire/) are written in and
 * which a user of the client does not install. test/client_package.test.ts checks at compile
 * time that each type here is exactly the one inferred from the server's schema.
 *
 * @module
 */

/** An instance as the v1 API answers it. Times are RFC 3339 UTC strings with milliseconds. */
export interface WireInstance {
  id: string;
  name: string;
  address: string;
  meta: Record<string, string>;
  /** Seconds. */
  ttl: number;
  registeredAt: string;
  expiresAt: string;
}

/** `GET /v1/services/{name}`: the live instances of a name and the index they were read at. */
export interface InstanceListResponse {
  name: string;
  index: number;
  instances: WireInstance[];
}

/** `GET /v1/services`: every name with a live instance, with how many. */
export interface ServiceListResponse {
  index: number;
  services: { name: string; instances: number }[];
}

/** `data` of the `snapshot` event. */
export interface SnapshotEvent {
  index: number;
  instances: WireInstance[];
}

/** `data` of the `register`, `deregister`, `expire` and `update` events. */
export interface ChangeEvent {
  type: "register" | "deregister" | "expire" | "update";
  instance: WireInstance;
}

/** The legacy API's bodies (type aliases, so each is a `Record<string, unknown>`). `POST /register`, as a client may send it: */
export type RegisterRequest = {
  name: string;
  address?: string | null | undefined;
  port?: number | string | null | undefined;
};
export type LookupRequest = {
  name: string;
};
export type IdRequest = {
  id: string;
};
export type RegisterResponse = {
  id: string;
  success: true;
};
export type LookupResponse = {
  success: boolean;
  address: string;
};
export type SuccessResponse = {
  success: boolean;
};
