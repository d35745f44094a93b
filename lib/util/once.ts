/**
 * Once per process: the first call builds, later calls share its promise. A failure is not
 * cached, so the next call builds again (a fixed app setting recovers without a restart).
 * Arguments are used by the call that builds; later calls share its result.
 */
export function oncePerProcess<A extends unknown[], T>(
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
