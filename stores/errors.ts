/**
 * The few failures a caller of any store must tell apart, whatever the backend or driver
 * underneath: a `--store` value that cannot be used, and an id that is already taken. Anything
 * else a backend throws is an internal failure.
 *
 * @module
 */

/** A `--store` value that names no backend, or a backend that cannot open its location. */
export class StoreSpecError extends Error {
  override name = "StoreSpecError";
}

/** A register with an id the store already holds. */
export class DuplicateIdError extends Error {
  override name = "DuplicateIdError";
  readonly id: string;

  constructor(id: string) {
    super(`id: ${id} is already registered`);
    this.id = id;
  }
}

/**
 * The store could not do what was asked for reasons of its own (a disk that refuses writes, a
 * database that cannot be reached); nothing was changed. Answered with 503: the caller may
 * retry, here or at another node.
 */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}
