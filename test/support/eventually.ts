/**
 * Waiting on a condition, never on the clock: polls `check` until it holds, and fails with
 * what was awaited once a generous deadline passes (generous so a busy machine does not flake).
 *
 * @module
 */

export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  { deadlineMs = 15_000, everyMs = 5 } = {},
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
