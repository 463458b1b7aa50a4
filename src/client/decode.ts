/**
 * The v1 answers, checked as they are decoded: the client cannot assume the server it talks to
 * is a correct srsr, so an answer that lacks what the wire contract promises is a
 * {@link RegistryError} naming what is missing, never a value of the wrong type later. The
 * types come from `src/wire/v1.ts`; only the types, so no schema library ships in the client.
 *
 * @module
 */

import type { ChangeEvent, InstanceListResponse, ServiceListResponse, SnapshotEvent, WireInstance } from "./wire_types.ts";
import { quote, RegistryError } from "./request.ts";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const isIndex = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/** A {@link RegistryError} for an answer to `what` that is not what the v1 API promises. */
export function malformed(what: string, problem: string, value: unknown): RegistryError {
  const body = JSON.stringify(value) ?? String(value);
  return new RegistryError(`${what}: unexpected answer (${problem}): ${quote(body)}`, { status: 200, body });
}

/** An instance, or a {@link RegistryError} saying which field is wrong. */
export function decodeInstance(value: unknown, what: string): WireInstance {
  if (!isObject(value)) throw malformed(what, "expected an instance object", value);
  for (const field of ["id", "name", "address", "registeredAt", "expiresAt"] as const) {
    if (typeof value[field] !== "string") throw malformed(what, `expected "${field}" to be a string`, value);
  }
  if (typeof value.ttl !== "number") throw malformed(what, 'expected "ttl" to be a number', value);
  if (!isObject(value.meta) || !Object.values(value.meta).every((item) => typeof item === "string")) {
    throw malformed(what, 'expected "meta" to be an object of strings', value);
  }
  return value as unknown as WireInstance;
}

function decodeInstances(value: unknown, what: string): WireInstance[] {
  if (!Array.isArray(value)) throw malformed(what, 'expected "instances" to be an array', value);
  return value.map((instance) => decodeInstance(instance, what));
}

/** `GET /v1/services/{name}`. */
export function decodeInstanceList(value: unknown, what: string): InstanceListResponse {
  if (!isObject(value) || typeof value.name !== "string" || !isIndex(value.index)) {
    throw malformed(what, 'expected "name", "index" and "instances"', value);
  }
  return { name: value.name, index: value.index, instances: decodeInstances(value.instances, what) };
}

/** `GET /v1/services`. */
export function decodeServiceList(value: unknown, what: string): ServiceListResponse {
  if (!isObject(value) || !isIndex(value.index) || !Array.isArray(value.services)) {
    throw malformed(what, 'expected "index" and "services"', value);
  }
  for (const service of value.services) {
    if (!isObject(service) || typeof service.name !== "string" || !isIndex(service.instances)) {
      throw malformed(what, 'expected each service to have "name" and "instances"', value);
    }
  }
  return value as unknown as ServiceListResponse;
}

/** The `data` of a `snapshot` event. */
export function decodeSnapshot(value: unknown, what: string): SnapshotEvent {
  if (!isObject(value) || !isIndex(value.index)) throw malformed(what, 'expected "index" and "instances"', value);
  return { index: value.index, instances: decodeInstances(value.instances, what) };
}

const CHANGE_TYPES: readonly string[] = ["register", "deregister", "expire", "update"];

/** The `data` of a `register`, `deregister`, `expire` or `update` event. */
export function decodeChange(value: unknown, what: string): ChangeEvent {
  if (!isObject(value) || typeof value.type !== "string" || !CHANGE_TYPES.includes(value.type)) {
    throw malformed(what, 'expected "type" to be register, deregister, expire or update', value);
  }
  return { type: value.type as ChangeEvent["type"], instance: decodeInstance(value.instance, what) };
}
