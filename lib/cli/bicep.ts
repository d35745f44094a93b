import { execFile } from 'node:child_process';
import { MAX_INPUT_BYTES } from './input.js';
import { CliError, type CliIo } from './types.js';

/**
 * Compiles Bicep with the Bicep CLI found on PATH (`bicep build --stdout`, `bicep build-params
 * --stdout`). Without one, evaluation stops with a message saying how to compile first.
 */
export function compileBicep(file: string, io: CliIo, params = false): Promise<string> {
  const args = params ? ['build-params', file, '--stdout'] : ['build', file, '--stdout'];
  return new Promise((resolve, reject) => {
    execFile(
      'bicep',
      args,
      { env: { ...io.env }, maxBuffer: MAX_INPUT_BYTES, timeout: 120_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new CliError(
              `${file}: reading Bicep needs the Bicep CLI on PATH (bicep ${args[0]} --stdout); install it, or compile first (az bicep ${args[0]} --file ${file}) and pass the JSON`,
            ),
          );
          return;
        }
        const first =
          String(stderr)
            .split('\n')
            .find((line) => /error/i.test(line)) ?? String(stderr).split('\n')[0];
        reject(
          new CliError(`${file}: bicep ${args[0]} failed: ${(first ?? error.message).trim().slice(0, 300)}`),
        );
      },
    );
  });
}
