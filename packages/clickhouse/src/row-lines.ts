/**
 * The JSONEachRow line of each row, kept from when its batch was handed to the exporter until its
 * INSERT is built. Serialising at hand-over, while the engine is still writing the previous insert,
 * lets that work overlap instead of leaving the engine idle while the next insert's text is built.
 * Keyed by the row object: rows are not changed once converted.
 */
export class RowLines {
  private readonly lines = new WeakMap<object, string>();

  prepare(rows: readonly object[]): void {
    for (const row of rows) if (!this.lines.has(row)) this.lines.set(row, JSON.stringify(row));
  }

  /** The row's line as serialised earlier, or now. JSON.stringify escapes newlines, so it is one line. */
  line(row: object): string {
    return this.lines.get(row) ?? JSON.stringify(row);
  }
}
