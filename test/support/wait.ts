/** Polling for tests that wait on something asynchronous (a reload, a revocation reaching a replica). */

/** Resolves true as soon as `check` holds, false when `ms` pass first. */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
