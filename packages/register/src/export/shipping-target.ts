import { openStore, type StoreOptions } from '@tracetape/clickhouse';
import type { OtlpTarget } from '../otlp-target.js';
import type { LogShipper } from './log-shipper.js';
import { OtlpSender } from './otlp-sender.js';
import { OtlpShipper } from './otlp-shipper.js';
import { StoreShipper } from './store-shipper.js';

/** Where the log is shipped, as plain data: the exit worker builds the same shipper from it. */
export type ShippingTarget =
  | { kind: 'server'; store: StoreOptions }
  | {
      kind: 'otlp';
      target: OtlpTarget;
      /** Bound for one send, the transport's retries included. */
      timeoutMs?: number;
    };

export function createShipper(target: ShippingTarget, logDir: string): LogShipper {
  if (target.kind === 'server') return new StoreShipper(openStore(target.store), logDir);
  const sender = new OtlpSender({ target: target.target, ...(target.timeoutMs !== undefined ? { timeoutMs: target.timeoutMs } : {}) });
  return new OtlpShipper(sender, logDir);
}

/** What messages name: the collector's URL, or the store's location. */
export function addressOf(target: ShippingTarget, shipper: LogShipper): string {
  return target.kind === 'otlp' ? target.target.url : shipper.destination;
}
