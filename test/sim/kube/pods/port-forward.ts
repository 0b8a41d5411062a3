/**
 * pods/portforward over the WebSocket channel protocol, as the kubelet serves it
 * (pkg/kubelet/cri/streaming/portforward/websocket.go): for requested port i, channel 2i carries
 * data both ways and channel 2i+1 carries error text to the client; the first message on each of
 * the two carries the port as 2 bytes little-endian. Each port gets one TCP connection to
 * 127.0.0.1:<port> (the sim's pods share the host's loopback); when every connection has ended the
 * WebSocket closes normally, and when the client leaves every connection is dropped.
 */
import { connect, type Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { decodeFrame, encodeFrame, type ChannelProtocol } from './channel-protocol.js';
import type { PodObject } from './pod-target.js';

function portPrefix(port: number): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16LE(port);
  return prefix;
}

/** Bridges one accepted WebSocket to the pod's ports; resolves once every connection ended. */
export function servePortForward(ws: WebSocket, protocol: ChannelProtocol, pod: PodObject, ports: readonly number[], log: (line: string) => void): Promise<void> {
  const send = (channel: number, payload: Buffer): void => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(protocol, channel, payload));
  };
  let open = ports.length;
  const sockets: Socket[] = ports.map((port, i) => {
    send(2 * i, portPrefix(port));
    send(2 * i + 1, portPrefix(port));
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('data', (data: Buffer) => send(2 * i, data));
    socket.on('error', (error) => {
      const message = `error forwarding port ${port} to pod ${pod.metadata.name}, uid ${pod.metadata.uid ?? ''}: ${error.message}`;
      log(`pods: ${message}`);
      send(2 * i + 1, Buffer.from(message));
    });
    socket.on('close', () => {
      open -= 1;
      if (open === 0 && ws.readyState === ws.OPEN) ws.close(1000);
    });
    return socket;
  });
  ws.on('message', (data: Buffer) => {
    const frame = decodeFrame(protocol, data);
    if (!frame || frame.channel % 2 === 1) return;
    const socket = sockets[frame.channel / 2];
    if (socket && !socket.destroyed) socket.write(frame.payload);
  });
  ws.on('error', () => undefined);
  return new Promise((resolve) => {
    ws.once('close', () => {
      for (const socket of sockets) socket.destroy();
      resolve();
    });
  });
}
