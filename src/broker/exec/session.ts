/**
 * Pumps one relayed exec/attach session between the client's WebSocket and the apiserver's:
 * stdin, resize and half-close go up; output comes down through the per-channel masker (only
 * masked text is ever sent or recorded), the readiness frame and the status pass as they are,
 * and each side's close is passed to the other. A session that cannot be masked or recorded is
 * ended on both sides (fail closed).
 */
import type { WebSocket } from 'ws';
import { CHANNEL_CLOSE, CHANNEL_ERROR, encodeFrame, isBase64Protocol } from '../../kube/channels.js';
import type { ChannelProtocol } from '../../kube/channels.js';
import { execEndFrame } from '../../kube/stream-end.js';
import { sendWithBackpressure } from './backpressure.js';
import { clientFrameAction, exitFromStatus, exitWithoutStatus, upstreamFrameAction } from './frames.js';
import type { ExecExit, RawMessage } from './frames.js';
import { createOutputBatch, OUTPUT_BATCH_BYTES } from './output-batch.js';
import type { OutputMasker } from './output-masker.js';
import { bridgeSockets, closeSocket } from './socket-pair.js';

/**
 * Receives a session as it happens, asciicast-friendly: output is always the masked text; input
 * is delivered only when stdin recording is on.
 */
export interface ExecRecorder {
  output(data: Buffer, channel: number): void;
  input(data: Buffer): void;
  resize(width: number, height: number): void;
  exit(exit: ExecExit): void;
}

/** The two open sockets and what to do with their traffic. */
export interface SessionOptions {
  client: WebSocket;
  /** Opened paused (upstream.ts); resumed once listening. */
  upstream: WebSocket;
  protocol: ChannelProtocol;
  output: OutputMasker;
  recorder?: ExecRecorder;
  recordStdin: boolean;
  /**
   * Aborted (reason: why, a string) when kgate ends the session (its grant ended): the output
   * so far is flushed, the client gets a Status saying why on the error channel, both sides close.
   */
  ending?: AbortSignal;
  log: (line: string) => void;
}

/** How a session went. */
export interface SessionOutcome {
  exit?: ExecExit;
  /** stdin bytes from the client. */
  bytesIn: number;
  /** stdout and stderr bytes from the apiserver, before masking. */
  bytesOut: number;
  maskedCount: number;
  /** The apiserver's close code, or null when the client ended the session first. */
  closeCode: number | null;
  error?: string;
}

const EMPTY = new Uint8Array(0);

/** Runs the session until both sockets are closed. */
export async function pumpSession(opts: SessionOptions): Promise<SessionOutcome> {
  const { client, upstream, protocol, output, recorder, log } = opts;
  const outcome: SessionOutcome = { bytesIn: 0, bytesOut: 0, maskedCount: 0, closeCode: null };
  let failed = false;

  const fail = (why: string): void => {
    outcome.error ??= why;
    if (failed) return;
    failed = true;
    log(`exec: ending the session: ${why}`);
    closeSocket(client, 1011, `kgate: ${why}`.slice(0, 123));
    closeSocket(upstream, 1011, 'kgate: session ended by the broker');
  };
  const record = (step: () => void): void => {
    try {
      step();
    } catch {
      fail('the session could not be recorded');
    }
  };
  const binary = !isBase64Protocol(protocol);
  /**
   * Sends one frame. `framed` says the byte before `payload` in its buffer is this frame's channel
   * byte: the payload is (the start of) output the apiserver framed, or a batch joined behind its
   * channel byte, passed on unmasked; then the frame is sent as it stands, without a copy.
   */
  const toClient = (channel: number, payload: Uint8Array, framed = false): void => {
    if (binary) {
      if (framed && payload.byteOffset > 0) {
        const frame = Buffer.from(payload.buffer, payload.byteOffset - 1, payload.length + 1);
        if (frame[0] === channel) {
          sendWithBackpressure(client, upstream, frame, true);
          return;
        }
      }
      // Output frames are the bulk of a session: no zero-filled allocation before the copy.
      const data = Buffer.allocUnsafe(payload.length + 1);
      data[0] = channel;
      data.set(payload, 1);
      sendWithBackpressure(client, upstream, data, true);
      return;
    }
    const frame = encodeFrame(protocol, channel, payload);
    sendWithBackpressure(client, upstream, frame.data, frame.isBinary);
  };
  const toUpstream = (channel: number, payload: Uint8Array): void => {
    const frame = encodeFrame(protocol, channel, payload);
    sendWithBackpressure(upstream, client, frame.data, frame.isBinary);
  };
  /** Records and sends masked output; `input` is what was given to the masker, when this answers it. */
  const release = (channel: number, masked: Uint8Array, input?: Uint8Array): void => {
    if (masked.length === 0) return;
    // The recorder reads the output at once (nothing keeps or changes it), so it needs no copy.
    record(() => recorder?.output(Buffer.from(masked.buffer, masked.byteOffset, masked.byteLength), channel));
    // Output that starts where the input did is the input's own bytes, released unmasked.
    if (!failed) toClient(channel, masked, input !== undefined && masked.buffer === input.buffer && masked.byteOffset === input.byteOffset);
  };
  const flushOutput = (): void => {
    try {
      for (const { channel, payload } of output.endAll()) release(channel, payload);
    } catch {
      fail('output could not be masked');
    }
  };
  const batch = createOutputBatch({
    maxBytes: OUTPUT_BATCH_BYTES,
    emit: (channel, payload) => {
      if (failed) return;
      try {
        release(channel, output.write(channel, payload), payload);
      } catch {
        fail('output could not be masked');
      }
    },
  });
  const settleExit = (exit: ExecExit): void => {
    if (outcome.exit) return;
    outcome.exit = exit;
    record(() => recorder?.exit(exit));
  };

  const onUpstreamMessage = (data: RawMessage, isBinary: boolean): void => {
    if (failed) return;
    const action = upstreamFrameAction(protocol, data, isBinary);
    if (action.kind === 'output') {
      outcome.bytesOut += action.payload.length;
      batch.add(action.channel, action.payload);
      return;
    }
    // Whatever else the apiserver sends must reach the client after the output before it.
    batch.flush();
    if (failed) return;
    switch (action.kind) {
      case 'ready':
        toClient(action.channel, EMPTY);
        return;
      case 'status':
        // The status ends the command: flush held-back output first so the client reads it before EOF.
        flushOutput();
        settleExit(exitFromStatus(protocol, action.payload));
        if (!failed) toClient(CHANNEL_ERROR, action.payload);
        return;
      case 'close':
        try {
          release(action.channel, output.end(action.channel));
        } catch {
          fail('output could not be masked');
        }
        if (!failed) toClient(CHANNEL_CLOSE, Uint8Array.of(action.channel));
        return;
      case 'drop':
        log(`exec: dropped a message from the apiserver: ${action.reason}`);
        return;
      case 'invalid':
        fail(`the apiserver sent a message that cannot be read (${action.reason})`);
        return;
    }
  };

  // Set when kgate ended the session: the apiserver's close that follows says nothing of the command's exit.
  let endedByKgate = false;
  const endByKgate = (): void => {
    if (failed) return;
    const why = String(opts.ending?.reason);
    batch.flush();
    flushOutput();
    if (failed) return;
    // Nothing more is relayed: the command's status, if it comes now, is not the session's end.
    failed = true;
    endedByKgate = true;
    log(`exec: ending the session: ${why}`);
    const frame = execEndFrame(protocol, why);
    if (client.readyState === client.OPEN) client.send(frame.data, { binary: frame.isBinary });
    // A normal close after the status, as the apiserver does, so kubectl reads the status and prints it.
    closeSocket(client, 1000, '');
    closeSocket(upstream, 1000, 'kgate: the session was ended');
  };

  const onClientMessage = (data: RawMessage, isBinary: boolean): void => {
    if (failed) return;
    const action = clientFrameAction(protocol, data, isBinary);
    switch (action.kind) {
      case 'stdin':
        outcome.bytesIn += action.payload.length;
        if (opts.recordStdin) record(() => recorder?.input(Buffer.from(action.payload)));
        toUpstream(0, action.payload);
        return;
      case 'resize':
        for (const size of action.sizes) record(() => recorder?.resize(size.width, size.height));
        toUpstream(4, action.payload);
        return;
      case 'close':
        toUpstream(CHANNEL_CLOSE, Uint8Array.of(action.channel));
        return;
      case 'drop':
        log(`exec: dropped a message from the client: ${action.reason}`);
        return;
    }
  };

  if (opts.ending?.aborted) queueMicrotask(endByKgate);
  else opts.ending?.addEventListener('abort', endByKgate, { once: true });
  const closeCode = await bridgeSockets(client, upstream, {
    onClientMessage,
    onUpstreamMessage,
    onUpstreamClose: (code) => {
      batch.flush();
      if (!failed) flushOutput();
      const exit = endedByKgate ? undefined : exitWithoutStatus(protocol, code);
      if (exit) settleExit(exit);
    },
    noteError: (error) => {
      outcome.error ??= error;
    },
  });
  opts.ending?.removeEventListener('abort', endByKgate);
  outcome.closeCode = closeCode;
  outcome.maskedCount = output.maskedCount;
  return outcome;
}
