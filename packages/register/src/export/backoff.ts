import { randomInt } from 'node:crypto';

/**
 * Exponential backoff with full jitter, bounded. The jitter comes from node:crypto: tracetape
 * records and replays Math.random, so the app's random source must not steer its own retries.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    return Math.floor(ceiling / 2) + randomInt(Math.max(1, Math.ceil(ceiling / 2)));
  }

  reset(): void {
    this.attempt = 0;
  }
}
