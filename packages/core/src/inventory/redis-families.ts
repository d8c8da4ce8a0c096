/*
 * Redis commands by the groups Redis's own command reference files them under, so an inventory
 * says "hash" once instead of HGET, HSET, HDEL… Redis calls the key-space group "generic"; it is
 * `keyspace` here, which says what it is about.
 */

const GROUPS: Readonly<Record<string, readonly string[]>> = {
  string: [
    'APPEND', 'DECR', 'DECRBY', 'DELEX', 'DIGEST', 'GET', 'GETDEL', 'GETEX', 'GETRANGE', 'GETSET', 'INCR', 'INCRBY', 'INCRBYFLOAT',
    'LCS', 'MGET', 'MSET', 'MSETEX', 'MSETNX', 'PSETEX', 'SET', 'SETEX', 'SETNX', 'SETRANGE', 'STRLEN', 'SUBSTR',
  ],
  bitmap: ['BITCOUNT', 'BITFIELD', 'BITFIELD_RO', 'BITOP', 'BITPOS', 'GETBIT', 'SETBIT'],
  hash: [
    'HDEL', 'HEXISTS', 'HEXPIRE', 'HEXPIREAT', 'HEXPIRETIME', 'HGET', 'HGETALL', 'HGETDEL', 'HGETEX', 'HINCRBY', 'HINCRBYFLOAT', 'HKEYS',
    'HLEN', 'HMGET', 'HMSET', 'HPERSIST', 'HPEXPIRE', 'HPEXPIREAT', 'HPEXPIRETIME', 'HPTTL', 'HRANDFIELD', 'HSCAN', 'HSET', 'HSETEX',
    'HSETNX', 'HSTRLEN', 'HTTL', 'HVALS',
  ],
  list: [
    'BLMOVE', 'BLMPOP', 'BLPOP', 'BRPOP', 'BRPOPLPUSH', 'LINDEX', 'LINSERT', 'LLEN', 'LMOVE', 'LMPOP', 'LPOP', 'LPOS', 'LPUSH', 'LPUSHX',
    'LRANGE', 'LREM', 'LSET', 'LTRIM', 'RPOP', 'RPOPLPUSH', 'RPUSH', 'RPUSHX',
  ],
  set: [
    'SADD', 'SCARD', 'SDIFF', 'SDIFFSTORE', 'SINTER', 'SINTERCARD', 'SINTERSTORE', 'SISMEMBER', 'SMEMBERS', 'SMISMEMBER', 'SMOVE', 'SPOP',
    'SRANDMEMBER', 'SREM', 'SSCAN', 'SUNION', 'SUNIONSTORE',
  ],
  'sorted-set': [
    'BZMPOP', 'BZPOPMAX', 'BZPOPMIN', 'ZADD', 'ZCARD', 'ZCOUNT', 'ZDIFF', 'ZDIFFSTORE', 'ZINCRBY', 'ZINTER', 'ZINTERCARD', 'ZINTERSTORE',
    'ZLEXCOUNT', 'ZMPOP', 'ZMSCORE', 'ZPOPMAX', 'ZPOPMIN', 'ZRANDMEMBER', 'ZRANGE', 'ZRANGEBYLEX', 'ZRANGEBYSCORE', 'ZRANGESTORE', 'ZRANK',
    'ZREM', 'ZREMRANGEBYLEX', 'ZREMRANGEBYRANK', 'ZREMRANGEBYSCORE', 'ZREVRANGE', 'ZREVRANGEBYLEX', 'ZREVRANGEBYSCORE', 'ZREVRANK', 'ZSCAN',
    'ZSCORE', 'ZUNION', 'ZUNIONSTORE',
  ],
  stream: [
    'XACK', 'XACKDEL', 'XADD', 'XAUTOCLAIM', 'XCLAIM', 'XDEL', 'XDELEX', 'XGROUP', 'XINFO', 'XLEN', 'XPENDING', 'XRANGE', 'XREAD', 'XREADGROUP',
    'XREVRANGE', 'XSETID', 'XTRIM',
  ],
  geo: ['GEOADD', 'GEODIST', 'GEOHASH', 'GEOPOS', 'GEORADIUS', 'GEORADIUS_RO', 'GEORADIUSBYMEMBER', 'GEORADIUSBYMEMBER_RO', 'GEOSEARCH', 'GEOSEARCHSTORE'],
  hyperloglog: ['PFADD', 'PFCOUNT', 'PFDEBUG', 'PFMERGE', 'PFSELFTEST'],
  pubsub: ['PSUBSCRIBE', 'PUBLISH', 'PUBSUB', 'PUNSUBSCRIBE', 'SPUBLISH', 'SSUBSCRIBE', 'SUBSCRIBE', 'SUNSUBSCRIBE', 'UNSUBSCRIBE'],
  transactions: ['DISCARD', 'EXEC', 'MULTI', 'UNWATCH', 'WATCH'],
  scripting: ['EVAL', 'EVALSHA', 'EVALSHA_RO', 'EVAL_RO', 'FCALL', 'FCALL_RO', 'FUNCTION', 'SCRIPT'],
  keyspace: [
    'COPY', 'DEL', 'DUMP', 'EXISTS', 'EXPIRE', 'EXPIREAT', 'EXPIRETIME', 'KEYS', 'MIGRATE', 'MOVE', 'OBJECT', 'PERSIST', 'PEXPIRE', 'PEXPIREAT',
    'PEXPIRETIME', 'PTTL', 'RANDOMKEY', 'RENAME', 'RENAMENX', 'RESTORE', 'SCAN', 'SORT', 'SORT_RO', 'TOUCH', 'TTL', 'TYPE', 'UNLINK', 'WAIT', 'WAITAOF',
  ],
  connection: ['AUTH', 'CLIENT', 'ECHO', 'HELLO', 'PING', 'QUIT', 'RESET', 'SELECT'],
  cluster: ['ASKING', 'CLUSTER', 'READONLY', 'READWRITE'],
  server: [
    'ACL', 'BGREWRITEAOF', 'BGSAVE', 'COMMAND', 'CONFIG', 'DBSIZE', 'DEBUG', 'FAILOVER', 'FLUSHALL', 'FLUSHDB', 'INFO', 'LASTSAVE', 'LATENCY',
    'LOLWUT', 'MEMORY', 'MODULE', 'MONITOR', 'PSYNC', 'REPLCONF', 'REPLICAOF', 'ROLE', 'SAVE', 'SHUTDOWN', 'SLAVEOF', 'SLOWLOG', 'SWAPDB',
    'SYNC', 'TIME',
  ],
};

const FAMILY_OF = new Map(Object.entries(GROUPS).flatMap(([family, commands]) => commands.map((command) => [command, family] as const)));

/**
 * The family of a Redis command: `hash` for HSET, `sorted-set` for ZADD. A module's commands
 * (`JSON.SET`, `FT.SEARCH`) go by the module's prefix (`json`, `ft`); any other command this
 * table does not know stands for itself, lower-cased, so nothing is hidden under "other".
 */
export function redisFamily(command: string): string {
  const name = command.trim().toUpperCase();
  const family = FAMILY_OF.get(name);
  if (family !== undefined) return family;
  const dot = name.indexOf('.');
  return (dot > 0 ? name.slice(0, dot) : name).toLowerCase();
}
