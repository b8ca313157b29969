import { invalidArgType } from '../internal/validate.js';

/**
 * Turns values into the strings stored in Redis and back. `encode` must throw a TypeError for a
 * value it cannot represent: nothing is written then. `name` is the argument the value came in as
 * (`'item'` for a queue's `put`, `'message'` for `publish`), for the error to name.
 */
export interface Codec<T = unknown> {
  encode(value: T, name?: string): string;
  decode(data: string): T;
}

function jsonReplacer(this: unknown, _key: string, value: unknown): unknown {
  // JSON.stringify silently turns these into null or drops them: an item would change on the way.
  if (typeof value === 'bigint') throw new TypeError('a BigInt cannot be serialised to JSON');
  if (typeof value === 'function' || typeof value === 'symbol' || value === undefined) {
    throw new TypeError(`a value of type ${typeof value} cannot be serialised to JSON`);
  }
  return value;
}

/**
 * JSON (the default). BigInt, functions, symbols, undefined and cycles throw a TypeError.
 *
 * @example
 * ```ts runnable
 * import { jsonCodec } from 'nodevent/redis';
 * jsonCodec.decode(jsonCodec.encode({ n: 1 })); // { n: 1 }
 * ```
 */
export const jsonCodec: Codec<unknown> = {
  encode(value, name = 'item') {
    try {
      return JSON.stringify(value, jsonReplacer);
    } catch (error) {
      // Cycles give a TypeError already; the message names what failed.
      const err = new TypeError(`The "${name}" argument must be serialisable to JSON: ${(error as Error).message}`);
      (err as NodeJS.ErrnoException).code = 'ERR_INVALID_ARG_TYPE';
      throw err;
    }
  },
  decode: (data) => JSON.parse(data),
};

/**
 * Strings as they are: for messages exchanged with programs that do not speak JSON.
 *
 * @example
 * ```ts runnable
 * import { RedisPubSub, stringCodec } from 'nodevent/redis';
 * const bus = new RedisPubSub<string>({ codec: stringCodec });
 * ```
 */
export const stringCodec: Codec<string> = {
  encode(value, name = 'item') {
    if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
    return value;
  },
  decode: (data) => data,
};

/**
 * Bytes (Buffer or any Uint8Array), stored as base64 text; decoded as a Buffer.
 *
 * @example
 * ```ts runnable
 * import { bytesCodec } from 'nodevent/redis';
 * bytesCodec.encode(Buffer.from('hi')); // 'aGk='
 * ```
 */
export const bytesCodec: Codec<Uint8Array> = {
  encode(value, name = 'item') {
    if (!(value instanceof Uint8Array)) throw invalidArgType(name, 'an instance of Buffer or Uint8Array', value);
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  },
  decode: (data) => Buffer.from(data, 'base64'),
};

/** The codec option: a name or an object with encode/decode. */
export type CodecOption = 'json' | 'string' | 'bytes' | Codec<any>;

export function resolveCodec(option: unknown, name: string): Codec<any> {
  if (option === undefined || option === 'json') return jsonCodec;
  if (option === 'string') return stringCodec;
  if (option === 'bytes') return bytesCodec;
  if (option !== null && typeof option === 'object'
    && typeof (option as Codec).encode === 'function' && typeof (option as Codec).decode === 'function') {
    return option as Codec;
  }
  throw invalidArgType(name, "'json', 'string', 'bytes' or an object with encode and decode", option);
}
