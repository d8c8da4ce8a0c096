import type { IdGenerator } from '@opentelemetry/sdk-trace';
import { realRandomBytes } from './originals.js';

/**
 * Span and trace IDs from the real random source. The SDK's default generator calls Math.random,
 * which tracetape replaces: its reads would be excluded from recording anyway, but deciding so on
 * every span costs a stack walk. This generator never goes through the replaced source.
 */
export class RealRandomIdGenerator implements IdGenerator {
  // A service makes several spans per request; one call into the CSPRNG per span cost more than
  // the span's other bookkeeping, so bytes are drawn a page at a time and handed out in order.
  private pool: Buffer = Buffer.alloc(0);
  private used = 0;

  generateTraceId(): string {
    return this.nonZeroHex(16);
  }

  generateSpanId(): string {
    return this.nonZeroHex(8);
  }

  private nonZeroHex(bytes: number): string {
    for (;;) {
      if (this.used + bytes > this.pool.length) {
        this.pool = realRandomBytes(POOL_BYTES);
        this.used = 0;
      }
      const id = this.pool.toString('hex', this.used, this.used + bytes);
      this.used += bytes;
      // All-zero IDs are invalid in W3C Trace Context; drawing again is what the SDK does too.
      if (!/^0+$/.test(id)) return id;
    }
  }
}

const POOL_BYTES = 4096;
