import { invalidArgType, outOfRange } from '../internal/validate.js';

// What send and recv take: bytes out, a byte count in.

/** Sockets carry bytes: a string is refused, as Python 3 refuses `str` (encode it first). */
export function toBytes(value: unknown, name = 'data'): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') {
    throw invalidArgType(name, 'a Buffer or Uint8Array (bytes, not str: encode the string, e.g. Buffer.from(text))', value);
  }
  throw invalidArgType(name, 'a Buffer or Uint8Array', value);
}

/** Checks a byte count given to recv-like calls. */
export function validateSize(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 0) throw outOfRange(name, 'a non-negative integer', value);
  return value;
}

/**
 * Checks what `recvInto`-like calls take: a Uint8Array to fill, and `nbytes`, at most its length
 * (0: all of it, as Python). Returns the byte count to read.
 */
export function intoSize(buffer: unknown, nbytes: unknown): number {
  if (!(buffer instanceof Uint8Array)) throw invalidArgType('buffer', 'a Buffer or Uint8Array to fill', buffer);
  const n = validateSize(nbytes, 'nbytes');
  // Python: "buffer too small for requested bytes".
  if (n > buffer.length) throw outOfRange('nbytes', `<= the buffer's length (${buffer.length})`, n);
  return n === 0 ? buffer.length : n;
}
