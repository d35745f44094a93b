/**
 * Built on first use, once, and shared: the first call builds, later calls share its promise. A
 * failure is not cached, so the next call builds again (a fixed app setting recovers without a
 * restart). Arguments are used by the call that builds; later calls share its result. At module
 * level this gives the once-per-process dependency getters.
 */
export function onceUntilFailure<A extends unknown[], T>(
  build: (...args: A) => Promise<T>,
): (...args: A) => Promise<T> {
  let cached: Promise<T> | null = null;
  return (...args) => {
    cached ??= Promise.resolve()
      .then(() => build(...args))
      .catch((error: unknown) => {
        cached = null;
        throw error;
      });
    return cached;
  };
}
