/** Progress lines for long local work: what is happening, then how long it took. */
export async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  log(`${what} ...`);
  const result = await work();
  log(`${what}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

export function log(message: string): void {
  if (process.env["PLATFORM_LOCAL_QUIET"] !== "1") process.stderr.write(`[local] ${message}\n`);
}
