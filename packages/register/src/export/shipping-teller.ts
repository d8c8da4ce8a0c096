import path from 'node:path';
import type { ShipReport } from './log-shipper.js';

/**
 * Says on stderr, once per kind, what shipping could not do: spans a destination refused (lost),
 * a failure that is not an outage (it needs the user), a segment's unreadable tail. Outages are
 * not told while they last: the end-of-run line says what is still waiting.
 */
export class ShippingTeller {
  private readonly told = new Set<string>();

  constructor(
    private readonly address: string,
    private readonly logDir: string,
  ) {}

  report(report: ShipReport): void {
    for (const refused of report.refused) {
      this.once('refused', () => {
        const what = `${refused.spans} span${refused.spans === 1 ? '' : 's'}`;
        return `tracetape: dropped ${what} bound for ${this.address}: ${oneLine(refused.reason)} (further drops of this kind are counted, not printed; the recording of this run is incomplete)`;
      });
    }
    for (const skipped of report.skipped) {
      this.once(`skipped:${skipped.segment}`, () =>
        `tracetape: the recording log ${path.join(this.logDir, skipped.segment)} ended in ${skipped.bytes} unreadable byte(s) (${skipped.reason}); they were skipped.`,
      );
    }
  }

  failure(error: unknown): void {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
    this.once(`failure:${code}`, () => {
      const message = error instanceof Error ? error.message : String(error);
      return `tracetape: could not ship the recording log to ${this.address}: ${oneLine(message)} The spans stay in ${this.logDir} and are tried again (this run, the next one, or \`tracetape ingest\`).`;
    });
  }

  private once(kind: string, line: () => string): void {
    if (this.told.has(kind)) return;
    this.told.add(kind);
    process.stderr.write(`${line()}\n`);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
