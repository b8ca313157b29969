import { readFileSync, statSync } from 'node:fs';

/** A text file parsed again whenever it changes (checked at most every 100 ms). */
export class WatchedFile<T> {
  #value: T;
  #signature = '';
  #checkedAt = -Infinity;

  constructor(readonly path: string, readonly parse: (text: string) => T) {
    this.#value = parse('');
  }

  get value(): T {
    // Read on every lookup (several files each): Date.now() is a builtin, cheaper than
    // performance.now() in code not optimized yet; a clock set back only means an early check.
    const now = Date.now();
    if (now - this.#checkedAt >= 100 || now < this.#checkedAt) {
      this.#checkedAt = now;
      let signature = 'missing';
      try {
        const st = statSync(this.path);
        signature = `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        // absent: parsed as empty
      }
      if (signature !== this.#signature) {
        this.#signature = signature;
        let text = '';
        try { text = readFileSync(this.path, 'utf8'); } catch { /* absent */ }
        this.#value = this.parse(text);
      }
    }
    return this.#value;
  }
}
