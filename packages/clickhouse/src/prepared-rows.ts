/**
 * Each row's encoded form for its INSERT (a JSONEachRow line, or RowBinary bytes), kept from when
 * its batch was handed to the exporter until the INSERT is built. Encoding at hand-over, while the
 * engine is still writing the previous insert, lets that work overlap instead of leaving the engine
 * idle while the next insert is built. Keyed by the row object: rows are not changed once converted.
 */
export class PreparedRows<Row extends object, Encoded> {
  private readonly encoded = new WeakMap<Row, Encoded>();

  constructor(private readonly encode: (row: Row) => Encoded) {}

  prepare(rows: readonly Row[]): void {
    for (const row of rows) if (!this.encoded.has(row)) this.encoded.set(row, this.encode(row));
  }

  /** The row as encoded earlier, or now. */
  get(row: Row): Encoded {
    return this.encoded.get(row) ?? this.encode(row);
  }
}
