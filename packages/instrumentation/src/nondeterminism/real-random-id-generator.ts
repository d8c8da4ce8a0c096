import type { IdGenerator } from '@opentelemetry/sdk-trace';
import { realRandomBytes } from './originals.js';

/**
 * Span and trace IDs from the real random source. The SDK's default generator calls Math.random,
 * which tracetape replaces: its reads would be excluded from recording anyway, but deciding so on
 * every span costs a stack walk. This generator never goes through the replaced source.
 */
export class RealRandomIdGenerator implements IdGenerator {
  generateTraceId(): string {
    return nonZeroHex(16);
  }

  generateSpanId(): string {
    return nonZeroHex(8);
  }
}

function nonZeroHex(bytes: number): string {
  for (;;) {
    const id = realRandomBytes(bytes).toString('hex');
    if (!/^0+$/.test(id)) return id;
  }
}
