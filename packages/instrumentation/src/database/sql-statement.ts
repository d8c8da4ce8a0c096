/**
 * What a SQL statement is, read from its text: enough to key it (whitespace does not change a
 * query) and to tell a read from a write, which replay reports as a suppressed side effect.
 */

/** Runs of whitespace (newlines and indentation included) as one space, ends trimmed. */
export function normalizeStatement(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}

/** Leading comments (`-- …` lines, `/* … *\/` blocks) and opening parentheses, which say nothing of the verb. */
const PREAMBLE = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()*/;

/** The statement's first keyword, upper-cased (`SELECT`, `INSERT`, `BEGIN`…); `QUERY` when there is none. */
export function statementVerb(sql: string): string {
  const rest = sql.replace(PREAMBLE, '');
  return /^[A-Za-z]+/.exec(rest)?.[0]?.toUpperCase() ?? 'QUERY';
}

/** Verbs that change nothing outside the session: reads, and transaction or session control. */
const NON_MUTATING = new Set([
  'SELECT', 'SHOW', 'EXPLAIN', 'VALUES', 'TABLE', 'DESCRIBE', 'DESC', 'FETCH',
  'BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'SET', 'RESET', 'USE', 'DECLARE', 'CLOSE',
  'PREPARE', 'DEALLOCATE', 'DISCARD', 'LISTEN', 'UNLISTEN',
]);

/** Writes hidden behind WITH (`WITH x AS (…) INSERT …`, or a data-modifying CTE). */
const WRITE_KEYWORD = /\b(?:INSERT|UPDATE|DELETE|MERGE|UPSERT|REPLACE)\b/i;

/**
 * Whether running the statement may change stored data or schema: INSERT, UPDATE, DELETE, DDL,
 * COPY, CALL (a procedure may write)… A `SELECT … FOR UPDATE` locks but writes nothing; a WITH
 * statement writes when any of its parts is a write. Anything unknown counts as a write: a
 * replay that over-reports a suppressed side effect is safer than one that hides one.
 */
export function isWriteStatement(sql: string): boolean {
  const verb = statementVerb(sql);
  if (verb === 'WITH') return WRITE_KEYWORD.test(stripLiterals(sql));
  return !NON_MUTATING.has(verb);
}

/** The statement without its string literals and quoted names, so a word inside one reads as data. */
function stripLiterals(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`/g, "''");
}
