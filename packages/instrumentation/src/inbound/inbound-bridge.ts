import type http from 'node:http';
import net from 'node:net';

export interface InboundBridge {
  /** The loopback port to send the recorded request to. */
  port: number;
  /** Stops listening (a no-op once the one connection came). */
  close(): void;
}

/**
 * A private loopback port whose first connection is handed to `server` as if the server had
 * accepted it. The recorded request is sent here rather than to the server's own port: in a
 * `node:cluster` worker the port is shared and the primary deals connections out to all the
 * workers, so one sent to it may reach a process that did not serve the request in the recording
 * and has none of its calls on its tape.
 */
export function openInboundBridge(server: http.Server): Promise<InboundBridge> {
  return new Promise((resolve, reject) => {
    const bridge = net.createServer((socket) => {
      bridge.close();
      server.emit('connection', socket);
    });
    bridge.once('error', reject);
    // exclusive: in a cluster worker, a listener of this process's own, not one the primary shares out.
    bridge.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = bridge.address() as net.AddressInfo;
      resolve({ port, close: () => bridge.listening && bridge.close() });
    });
  });
}
