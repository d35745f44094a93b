/**
 * `%NAME%` binding expressions, as the Functions host resolves them in trigger properties
 * (schedules, queue names): each `%NAME%` is replaced by the app setting NAME, and a missing
 * setting is an error at start-up (the host refuses to index such a function too).
 */
export class AppSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppSettingError';
  }
}

export function resolveAppSettings(
  value: string,
  settings: Readonly<Record<string, string | undefined>>,
  where: string,
): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const resolved = settings[name]?.trim();
    if (!resolved) {
      throw new AppSettingError(`${where}: app setting ${name} (referenced as %${name}%) is not set`);
    }
    return resolved;
  });
}
