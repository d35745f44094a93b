/**
 * Keeps the `npm start` terminal readable. The on-call page polls the API every few seconds and
 * the host logs one line per invocation and per route at start; those lines are dropped unless
 * DW_LOCAL_VERBOSE is set. Failed invocations and everything the functions log always show.
 */
export function localLog(write: (line: string) => void, verbose: boolean): (line: string) => void {
  if (verbose) return write;
  return (line) => {
    // The functions' own log lines already say what happened; failures keep their Executed line.
    if (/^Executed '[^']+' \(Succeeded,/.test(line)) return;
    if (/^\[[^\]]+\] [A-Z]+(,[A-Z]+)* https?:\/\/\S+\/api\//.test(line)) return;
    write(line);
  };
}

/**
 * Runs `load` with @azure/functions' "not in the Functions runtime, switching to test mode" and
 * "skipping call to register" warnings silenced: local mode serves the registrations itself, so
 * they say nothing a developer needs to act on. Other warnings pass through.
 */
export async function withoutRuntimeWarnings<T>(load: () => Promise<T>): Promise<T> {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    const first = typeof args[0] === 'string' ? args[0] : '';
    if (
      /^WARNING: (Failed to detect the Azure Functions runtime|Skipping call to register function)/.test(
        first,
      )
    )
      return;
    original(...args);
  };
  try {
    return await load();
  } finally {
    console.warn = original;
  }
}
