/**
 * PartitionKey / RowKey encoding for Azure Table Storage.
 *
 * The service rejects `/ \ # ?`, control characters U+0000–U+001F and U+007F–U+009F in keys, and
 * keys larger than 1 KiB. We percent-escape exactly those characters plus `%` itself (so the
 * mapping is injective and reversible) and `~` (our separator for composite keys, so encoded
 * parts joined with `~` stay unambiguous) as `%XX`. Lone UTF-16 surrogates cannot survive the
 * service's UTF-8 round trip, so they are escaped as `%uXXXX` ('u' is not a hex digit, so the two
 * forms never overlap). Everything else (including other unicode) passes through unchanged, which
 * keeps keys readable in Storage Explorer and preserves ordering for plain ASCII ids.
 */

/** Conservative key limit: 1 KiB measured as UTF-16 (the service's internal representation). */
export const MAX_KEY_BYTES = 1024;

export class KeyTooLongError extends RangeError {
  constructor(readonly length: number) {
    super(`table key too long after encoding (${length * 2} bytes > ${MAX_KEY_BYTES})`);
    this.name = 'KeyTooLongError';
  }
}

const ESCAPED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are exactly what must be escaped
  /[%~/\\#?\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function hex(code: number, width: number): string {
  return code.toString(16).toUpperCase().padStart(width, '0');
}

/** Encodes one key (or key part). Throws KeyTooLongError when the result exceeds 1 KiB. */
export function encodeKey(value: string): string {
  const encoded = value.replace(ESCAPED, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `%${hex(code, 2)}` : `%u${hex(code, 4)}`;
  });
  if (encoded.length * 2 > MAX_KEY_BYTES) throw new KeyTooLongError(encoded.length);
  return encoded;
}

/** Inverse of encodeKey. Throws on malformed escapes (a key we did not produce). */
export function decodeKey(encoded: string): string {
  return encoded.replace(/%(u[0-9A-F]{4}|[0-9A-F]{2})|%/g, (_match, body: string | undefined) => {
    if (body === undefined)
      throw new SyntaxError(`malformed escape in table key: ${JSON.stringify(encoded)}`);
    return String.fromCharCode(Number.parseInt(body.startsWith('u') ? body.slice(1) : body, 16));
  });
}

/** Joins already-encoded parts with '~' (escaped by encodeKey, so parts stay separable). */
export function joinKey(...parts: string[]): string {
  const key = parts.join('~');
  if (key.length * 2 > MAX_KEY_BYTES) throw new KeyTooLongError(key.length);
  return key;
}

/** Splits a key made by joinKey and decodes each part. */
export function splitKey(key: string): string[] {
  return key.split('~').map(decodeKey);
}
