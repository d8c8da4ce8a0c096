import { REDACTED } from '@tracetape/core';
import type { EncodedValue } from '../database/value-codec.js';

/**
 * Commands that change nothing outside the connection: they read data, read server state, or set
 * the connection's own state (SELECT, CLIENT SETNAME). A replay reports every other command as a
 * side effect it kept from the server, so a command missing here errs on the safe side.
 *
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH are here too: the writes of a transaction are the queued
 * commands, each on the tape as a step of its own with its own verdict.
 */
const READS = new Set([
  // strings and bits
  'GET', 'MGET', 'GETRANGE', 'SUBSTR', 'STRLEN', 'LCS', 'GETBIT', 'BITCOUNT', 'BITPOS', 'BITFIELD_RO',
  // keys
  'EXISTS', 'TYPE', 'TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME', 'KEYS', 'SCAN', 'RANDOMKEY', 'DBSIZE', 'DUMP', 'TOUCH', 'SORT_RO',
  // hashes
  'HGET', 'HMGET', 'HGETALL', 'HKEYS', 'HVALS', 'HLEN', 'HEXISTS', 'HSTRLEN', 'HSCAN', 'HRANDFIELD', 'HTTL', 'HPTTL', 'HEXPIRETIME', 'HPEXPIRETIME',
  // lists
  'LRANGE', 'LINDEX', 'LLEN', 'LPOS',
  // sets
  'SMEMBERS', 'SISMEMBER', 'SMISMEMBER', 'SCARD', 'SRANDMEMBER', 'SSCAN', 'SINTER', 'SUNION', 'SDIFF', 'SINTERCARD',
  // sorted sets
  'ZRANGE', 'ZRANGEBYSCORE', 'ZREVRANGE', 'ZREVRANGEBYSCORE', 'ZRANGEBYLEX', 'ZREVRANGEBYLEX', 'ZSCORE', 'ZMSCORE', 'ZRANK', 'ZREVRANK',
  'ZCARD', 'ZCOUNT', 'ZLEXCOUNT', 'ZSCAN', 'ZRANDMEMBER', 'ZINTER', 'ZUNION', 'ZDIFF', 'ZINTERCARD',
  // streams (XREADGROUP moves entries to a consumer: a write)
  'XRANGE', 'XREVRANGE', 'XLEN', 'XREAD', 'XPENDING',
  // geo and hyperloglog
  'GEOPOS', 'GEODIST', 'GEOHASH', 'GEOSEARCH', 'GEORADIUS_RO', 'GEORADIUSBYMEMBER_RO', 'PFCOUNT',
  // scripts that promise not to write
  'EVAL_RO', 'EVALSHA_RO', 'FCALL_RO',
  // server and connection
  'PING', 'ECHO', 'TIME', 'INFO', 'LASTSAVE', 'ROLE', 'LOLWUT', 'SELECT', 'AUTH', 'HELLO', 'READONLY', 'READWRITE', 'RESET', 'QUIT', 'ASKING',
  // transactions
  'MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH',
]);

/** Commands whose first argument says what they do, with the subcommands that read. */
const READ_SUBCOMMANDS: Readonly<Record<string, ReadonlySet<string>>> = {
  CLIENT: new Set(['ID', 'INFO', 'LIST', 'GETNAME', 'GETREDIR', 'TRACKINGINFO', 'SETNAME', 'SETINFO', 'NO-EVICT', 'NO-TOUCH', 'REPLY', 'CACHING', 'TRACKING']),
  CONFIG: new Set(['GET']),
  SCRIPT: new Set(['EXISTS']),
  FUNCTION: new Set(['LIST', 'DUMP', 'STATS']),
  OBJECT: new Set(['ENCODING', 'FREQ', 'IDLETIME', 'REFCOUNT', 'HELP']),
  MEMORY: new Set(['USAGE', 'STATS', 'DOCTOR', 'MALLOC-STATS', 'HELP']),
  XINFO: new Set(['STREAM', 'GROUPS', 'CONSUMERS', 'HELP']),
  PUBSUB: new Set(['CHANNELS', 'NUMSUB', 'NUMPAT', 'SHARDCHANNELS', 'SHARDNUMSUB', 'HELP']),
  COMMAND: new Set(['COUNT', 'DOCS', 'GETKEYS', 'GETKEYSANDFLAGS', 'INFO', 'LIST', 'HELP']),
  CLUSTER: new Set(['INFO', 'NODES', 'SLOTS', 'SHARDS', 'KEYSLOT', 'COUNTKEYSINSLOT', 'GETKEYSINSLOT', 'MYID', 'MYSHARDID', 'LINKS', 'REPLICAS', 'HELP']),
  ACL: new Set(['WHOAMI', 'LIST', 'USERS', 'GETUSER', 'CAT', 'LOG', 'GENPASS', 'DRYRUN', 'HELP']),
  LATENCY: new Set(['LATEST', 'HISTORY', 'DOCTOR', 'GRAPH', 'HISTOGRAM', 'HELP']),
  SLOWLOG: new Set(['GET', 'LEN', 'HELP']),
  MODULE: new Set(['LIST', 'HELP']),
};

/** Reads unless told to store their result under a key. */
const STORE_OPTION = new Set(['SORT', 'GEORADIUS', 'GEORADIUSBYMEMBER']);

/**
 * Whether a command changes something outside the connection (the tape's `sideEffect`): true for
 * SET, DEL, INCR, HSET, LPUSH, EXPIRE, PUBLISH, EVAL… and for any command this table does not know.
 * `args` are the arguments after the command name, as the app gave them or as encoded for the tape.
 */
export function isWriteCommand(command: string, args: readonly unknown[]): boolean {
  const name = command.toUpperCase();
  if (READS.has(name)) return false;
  const subcommands = READ_SUBCOMMANDS[name];
  if (subcommands) return !subcommands.has(word(args[0]));
  if (STORE_OPTION.has(name)) return args.some((arg) => /^STORE(DIST)?$/.test(word(arg)));
  return true;
}

/**
 * Arguments that carry a credential whatever they look like, so that no secret pattern would
 * catch them: AUTH's and HELLO's password, MIGRATE's, a CONFIG SET of a password setting, the
 * password rules of ACL SETUSER. They are replaced before the arguments are stored or hashed.
 */
export function withoutCredentials(command: string, args: readonly EncodedValue[]): EncodedValue[] {
  const out = [...args];
  const redact = (index: number): void => {
    if (index >= 0 && index < out.length) out[index] = REDACTED;
  };
  switch (command.toUpperCase()) {
    case 'AUTH':
      redact(out.length - 1);
      break;
    case 'HELLO':
      // HELLO protover [AUTH username password] [SETNAME name]
      for (let i = 0; i < out.length; i++) if (word(out[i]) === 'AUTH') redact(i + 2);
      break;
    case 'MIGRATE':
      for (let i = 0; i < out.length; i++) {
        if (word(out[i]) === 'AUTH') redact(i + 1);
        if (word(out[i]) === 'AUTH2') redact(i + 2);
      }
      break;
    case 'CONFIG':
      if (word(out[0]) === 'SET') for (let i = 1; i + 1 < out.length; i += 2) if (/PASS|AUTH|SECRET|KEY/.test(word(out[i]))) redact(i + 1);
      break;
    case 'ACL':
      // Rules >password and <password add and remove passwords, #hash and !hash their SHA-256.
      if (word(out[0]) === 'SETUSER') for (let i = 2; i < out.length; i++) if (/^[<>#!]/.test(text(out[i]))) redact(i);
      break;
  }
  return out;
}

/** An argument as an upper-case word, for comparing it with option names. */
function word(value: unknown): string {
  return text(value).toUpperCase();
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (value !== null && typeof value === 'object' && typeof (value as { $utf8?: unknown }).$utf8 === 'string') return (value as { $utf8: string }).$utf8;
  return typeof value === 'number' || typeof value === 'bigint' ? String(value) : '';
}
