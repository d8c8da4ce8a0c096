import { describe, expect, it } from 'vitest';
import { isWriteCommand, withoutCredentials } from '../../src/redis/redis-commands.js';

describe('isWriteCommand', () => {
  it('takes the commands that change data for writes', () => {
    for (const command of ['SET', 'DEL', 'INCR', 'HSET', 'LPUSH', 'EXPIRE', 'PUBLISH', 'EVAL', 'EVALSHA', 'FCALL', 'GETDEL', 'GETEX', 'XADD', 'XREADGROUP', 'FLUSHDB']) {
      expect(isWriteCommand(command, []), command).toBe(true);
    }
  });

  it('takes reads, and what only sets the connection up, for no side effect, in any case', () => {
    for (const command of ['GET', 'get', 'HGETALL', 'EXISTS', 'TTL', 'SCAN', 'LRANGE', 'MGET', 'ZRANGE', 'XRANGE', 'PING', 'SELECT', 'INFO', 'EVALSHA_RO']) {
      expect(isWriteCommand(command, []), command).toBe(false);
    }
  });

  it('counts MULTI, EXEC and WATCH as none: the queued commands carry the writes', () => {
    for (const command of ['MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH']) expect(isWriteCommand(command, []), command).toBe(false);
  });

  it('takes a command it does not know for a write', () => {
    expect(isWriteCommand('JSON.SET', ['doc', '$', '{}'])).toBe(true);
    expect(isWriteCommand('SOMETHING.NEW', [])).toBe(true);
  });

  it('reads the subcommand of the commands that have one', () => {
    expect(isWriteCommand('CONFIG', ['GET', 'maxmemory'])).toBe(false);
    expect(isWriteCommand('CONFIG', ['SET', 'maxmemory', '1gb'])).toBe(true);
    expect(isWriteCommand('SCRIPT', ['EXISTS', 'abc'])).toBe(false);
    expect(isWriteCommand('SCRIPT', ['LOAD', 'return 1'])).toBe(true);
    expect(isWriteCommand('CLIENT', ['SETNAME', 'agent'])).toBe(false);
    expect(isWriteCommand('CLIENT', ['KILL', 'ID', '7'])).toBe(true);
    expect(isWriteCommand('client', [Buffer.from('list')])).toBe(false);
    expect(isWriteCommand('OBJECT', [{ $utf8: 'encoding' }, 'key'])).toBe(false);
  });

  it('takes SORT and GEORADIUS for writes only when they store their result', () => {
    expect(isWriteCommand('SORT', ['list', 'ALPHA'])).toBe(false);
    expect(isWriteCommand('SORT', ['list', 'STORE', 'sorted'])).toBe(true);
    expect(isWriteCommand('GEORADIUS', ['places', '0', '0', '5', 'km', 'storedist', 'near'])).toBe(true);
  });
});

describe('withoutCredentials', () => {
  it("replaces AUTH's password, with or without a user name", () => {
    expect(withoutCredentials('AUTH', ['hunter2'])).toEqual(['[REDACTED]']);
    expect(withoutCredentials('auth', ['agent', 'hunter2'])).toEqual(['agent', '[REDACTED]']);
  });

  it("replaces HELLO's and MIGRATE's passwords, and nothing else of them", () => {
    expect(withoutCredentials('HELLO', ['3', 'AUTH', 'default', 'hunter2', 'SETNAME', 'agent'])).toEqual(['3', 'AUTH', 'default', '[REDACTED]', 'SETNAME', 'agent']);
    expect(withoutCredentials('MIGRATE', ['host', '6379', 'key', '0', '5000', 'AUTH', 'hunter2'])).toEqual(['host', '6379', 'key', '0', '5000', 'AUTH', '[REDACTED]']);
    expect(withoutCredentials('MIGRATE', ['host', '6379', '', '0', '5000', 'AUTH2', 'agent', 'hunter2', 'KEYS', 'a'])).toEqual(['host', '6379', '', '0', '5000', 'AUTH2', 'agent', '[REDACTED]', 'KEYS', 'a']);
  });

  it('replaces the value of a password setting in CONFIG SET, and the password rules of ACL SETUSER', () => {
    expect(withoutCredentials('CONFIG', ['SET', 'maxmemory', '1gb', 'requirepass', 'hunter2'])).toEqual(['SET', 'maxmemory', '1gb', 'requirepass', '[REDACTED]']);
    expect(withoutCredentials('ACL', ['SETUSER', 'agent', 'on', '>hunter2', '~cache:*', '+get'])).toEqual(['SETUSER', 'agent', 'on', '[REDACTED]', '~cache:*', '+get']);
  });

  it('leaves every other command as it is', () => {
    expect(withoutCredentials('SET', ['password', 'hunter2'])).toEqual(['password', 'hunter2']);
  });
});
