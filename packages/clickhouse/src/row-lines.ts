/**
 * The JSONEachRow line of each row, kept from when its batch was handed to the exporter until its
 * INSERT is built. Serialising at hand-over, while the engine is still writing the previous insert,
 * lets that work overlap instead of leaving the engine idle while the next insert's text is built.
 * Keyed by the row object: rows are not changed once converted.
 */
const lines = new WeakMap<object, string>();

export function serializeRows(rows: readonly object[]): void {
  for (const row of rows) if (!lines.has(row)) lines.set(row, JSON.stringify(row));
}

/** The row's line as serialised earlier, or now. JSON.stringify escapes newlines, so it is one line. */
export function rowLine(row: object): string {
  return lines.get(row) ?? JSON.stringify(row);
}
