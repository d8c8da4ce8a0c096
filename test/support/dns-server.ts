import dgram from 'node:dgram';

export interface DnsServer {
  port: number;
  /** Queries received since start. */
  queries(): number;
  close(): Promise<void>;
}

/** Record types this server answers (RFC 1035 type codes). */
const TYPE_A = 1;
const TYPE_TXT = 16;

export interface DnsZone {
  /** name → IPv4 addresses */
  a?: Record<string, string[]>;
  /** name → text records */
  txt?: Record<string, string[]>;
}

/**
 * A real DNS server on loopback UDP, as small as the tests need: A and TXT answers from `zone`,
 * NXDOMAIN for any other name. Node's Resolver (c-ares) queries it like any resolver.
 */
export async function startDnsServer(zone: DnsZone): Promise<DnsServer> {
  let queries = 0;
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, peer) => {
    queries++;
    const answer = answerTo(query, zone);
    if (answer) socket.send(answer, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    queries: () => queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function answerTo(query: Buffer, zone: DnsZone): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let at = 12;
  while (at < query.length && query[at] !== 0) {
    const length = query[at]!;
    labels.push(query.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  const questionEnd = at + 5;
  if (questionEnd > query.length) return undefined;
  const type = query.readUInt16BE(at + 1);
  const name = labels.join('.').toLowerCase();
  const rdatas =
    type === TYPE_A
      ? (zone.a?.[name] ?? []).map((address) => Buffer.from(address.split('.').map(Number)))
      : type === TYPE_TXT
        ? (zone.txt?.[name] ?? []).map((text) => Buffer.concat([Buffer.from([text.length]), Buffer.from(text, 'latin1')]))
        : [];
  const known = Boolean(zone.a?.[name] || zone.txt?.[name]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // A response, recursion desired and available; rcode 3 (NXDOMAIN) for a name it does not hold.
  header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(rdatas.length, 6);
  const records = rdatas.map((rdata) => {
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(type, 2);
    record.writeUInt16BE(1, 4); // class IN
    record.writeUInt32BE(300, 6);
    record.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([record, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
}
