// The receive side of a TCP socket: TCP is a byte stream without message boundaries, so bytes are
// kept here as they arrive and handed out by count (recv, recvExactly) or by delimiter (readline).

/** A FIFO of received bytes. */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Removes and returns up to `n` bytes. */
  take(n: number): Buffer {
    n = Math.min(n, this.#length);
    if (n === 0) return Buffer.alloc(0);
    const first = this.#chunks[0]!;
    if (first.length === n) {
      this.#chunks.shift();
      this.#length -= n;
      return first;
    }
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      this.#length -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const part = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, part);
      filled += part;
      if (part === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part);
    }
    this.#length -= n;
    return out;
  }

  /** Index of `delimiter` in the queued bytes, searching from `from`, or -1. */
  indexOf(delimiter: Buffer, from = 0): number {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
    return this.#chunks[0]?.indexOf(delimiter, from) ?? -1;
  }

  clear(): void {
    this.#chunks = [];
    this.#length = 0;
  }
}
