/**
 * What a pods/portforward request asks for, checked like the apiserver and kubelet check it:
 * `ports` converted as `PodPortForwardOptions.Ports` (repeated or comma-separated, each 1–65535;
 * apimachinery runtime/conversion.go), and the WebSocket subprotocols the kubelet's port-forward
 * accepts (pkg/kubelet/cri/streaming/portforward/websocket.go): none, `v4.channel.k8s.io` and
 * `v4.base64.channel.k8s.io`. The sim also insists that each port is a declared containerPort,
 * because its pods share the host's loopback and must not reach arbitrary local services.
 */
import { StatusError } from '../types.js';
import { CHANNEL_PROTOCOLS, type ChannelProtocol } from './channel-protocol.js';
import type { PodObject } from './pod-target.js';

const NO_PROTOCOL: ChannelProtocol = { name: '', base64: false, jsonStatus: false, streamClose: false };
/** The port-forward subprotocols, most preferred first. */
export const PORT_FORWARD_PROTOCOLS: readonly ChannelProtocol[] = CHANNEL_PROTOCOLS.filter((p) => p.name === 'v4.channel.k8s.io' || p.name === 'v4.base64.channel.k8s.io');

/** The protocol the kubelet would pick (the client's first acceptable offer), or undefined. */
export function negotiatePortForwardProtocol(offered: readonly string[]): ChannelProtocol | undefined {
  if (offered.length === 0) return NO_PROTOCOL;
  const name = offered.find((o) => PORT_FORWARD_PROTOCOLS.some((p) => p.name === o));
  return PORT_FORWARD_PROTOCOLS.find((p) => p.name === name);
}

/** The requested ports, in order; 400 BadRequest for a missing or malformed one. */
export function parsePorts(query: URLSearchParams): number[] {
  const values = query.getAll('ports');
  if (values.length === 0) throw new StatusError(400, 'BadRequest', 'at least one port must be specified');
  return values.flatMap((value) =>
    value.split(',').map((text) => {
      const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
      if (!(port >= 1 && port <= 65535)) throw new StatusError(400, 'BadRequest', `unable to parse "${text}" as a port number`);
      return port;
    }),
  );
}

/** Refuses a port no container of the pod declares (a sim-only rule, see the file comment). */
export function checkDeclaredPorts(pod: PodObject, ports: readonly number[]): void {
  const declared = new Set((pod.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort)));
  const undeclared = ports.find((port) => !declared.has(port));
  if (undeclared !== undefined) {
    throw new StatusError(400, 'BadRequest', `pod ${pod.metadata.name} does not declare containerPort ${undeclared}; the simulated kube-apiserver forwards only declared ports`);
  }
}
