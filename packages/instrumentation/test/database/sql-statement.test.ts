import { describe, expect, it } from 'vitest';
import { isWriteStatement, normalizeStatement, statementVerb } from '../../src/database/sql-statement.js';

describe('SQL statements', () => {
  it('key alike whatever their whitespace', () => {
    expect(normalizeStatement('  SELECT *\n\t FROM orders\n WHERE id = $1 ')).toBe('SELECT * FROM orders WHERE id = $1');
  });

  it('name their verb past comments and parentheses', () => {
    expect(statementVerb('select 1')).toBe('SELECT');
    expect(statementVerb('-- the refund\n/* audit */ (SELECT 1) UNION (SELECT 2)')).toBe('SELECT');
    expect(statementVerb('  ')).toBe('QUERY');
  });

  it('tell reads and transaction control from writes, DDL and anything unknown', () => {
    for (const read of ['SELECT * FROM t', 'select 1 for update', 'SHOW search_path', 'EXPLAIN SELECT 1', 'BEGIN', 'COMMIT', 'ROLLBACK', 'SET statement_timeout = 0', 'WITH x AS (SELECT 1) SELECT * FROM x', "WITH x AS (SELECT 'delete me') SELECT * FROM x"]) {
      expect(isWriteStatement(read), read).toBe(false);
    }
    for (const write of ['INSERT INTO t VALUES (1)', 'update t set a = 1', 'DELETE FROM t', 'CREATE TABLE t (a int)', 'DROP TABLE t', 'TRUNCATE t', 'COPY t FROM STDIN', 'CALL refund(1)', 'WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved', 'VACUUM', 'SOMETHING NEW']) {
      expect(isWriteStatement(write), write).toBe(true);
    }
  });
});
