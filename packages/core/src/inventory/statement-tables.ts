import { tableOfStatement } from '../contract/observed-side-effects.js';

/** One name: bare, "double-quoted" (Postgres) or `backticked` (MySQL), as the doors' statements have them. */
const NAME = String.raw`(?:"(?:[^"]|"")+"|\x60[^\x60]+\x60|[A-Za-z_][\w$]*)`;
/**
 * A table a statement reads: the name after FROM or JOIN (schema-qualified or not). Not the FROM of
 * `EXTRACT(EPOCH FROM col)` or `IS DISTINCT FROM x`, whose operand is a column.
 */
const READ = new RegExp(String.raw`(?<!\(\s*\w+\s+|\bDISTINCT\s+)\b(?:FROM|JOIN)\s+(${NAME}(?:\s*\.\s*${NAME})*)`, 'gi');

/**
 * The tables a SQL statement is about, for a person to read: the table it writes when it writes
 * one, else the tables it reads, in the order they appear, each once. [] for BEGIN, SET and the like.
 */
export function statementTables(statement: string): string[] {
  const written = tableOfStatement(statement);
  if (written !== undefined) return [written];
  // String literals are data and comments are not code: `SELECT 'FROM x'` reads no table x.
  const code = statement.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  const tables: string[] = [];
  for (const match of code.matchAll(READ)) {
    const table = unquoted(match[1]!.match(new RegExp(NAME, 'g'))!.at(-1)!);
    if (!tables.includes(table)) tables.push(table);
  }
  return tables;
}

function unquoted(name: string): string {
  if (name.startsWith('"')) return name.slice(1, -1).replace(/""/g, '"');
  if (name.startsWith('`')) return name.slice(1, -1);
  return name;
}
