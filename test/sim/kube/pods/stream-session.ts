/**
 * One exec/attach WebSocket: channel framing in both directions, the readiness frame, the final
 * status on channel 3 and the normal close that lets clients read that status.
 */
import type { WebSocket } from 'ws';
import { Channel, closedChannel, decodeFrame, encodeFrame, parseTerminalSize, type ChannelProtocol, type TerminalSize } from './channel-protocol.js';
import { statusPayload, type StreamStatus } from './exec-status.js';
import type { StreamOptions } from './stream-options.js';

/** What the session delivers to the command behind it. */
export interface SessionHandlers {
  stdin(data: Buffer): void;
  stdinEnd(): void;
  resize(size: TerminalSize): void;
  /** The client went away before the command finished. */
  disconnect(): void;
}

export class StreamSession {
  private finished = false;
  private handlers: SessionHandlers | undefined;
  private readonly early: Buffer[] = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly protocol: ChannelProtocol,
    private readonly options: Pick<StreamOptions, 'stdin' | 'stdout' | 'stderr' | 'tty'>,
    private readonly log: (line: string) => void,
  ) {
    ws.on('message', (data: Buffer) => (this.handlers ? this.receive(data) : this.early.push(data)));
    ws.on('close', () => {
      if (!this.finished) {
        this.finished = true;
        this.handlers?.disconnect();
      }
    });
    ws.on('error', () => undefined);
  }

  /** Announces readiness with an empty message on the lowest writable channel, as the apiserver does. */
  ready(): void {
    const channel = this.options.stdout ? Channel.stdout : this.options.stderr ? Channel.stderr : Channel.status;
    this.send(channel, Buffer.alloc(0));
  }

  /** Connects the command; messages that arrived before are delivered now, in order. */
  attach(handlers: SessionHandlers): void {
    this.handlers = handlers;
    for (const data of this.early.splice(0)) this.receive(data);
  }

  /** Resolves with the first resize message, or undefined after `timeoutMs` (used to size a new tty). */
  firstResize(timeoutMs: number): Promise<TerminalSize | undefined> {
    const found = this.early.map((d) => decodeFrame(this.protocol, d)).find((f) => f?.channel === Channel.resize);
    if (found) return Promise.resolve(parseTerminalSize(found.payload));
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.ws.off('message', onMessage), resolve(undefined)), timeoutMs);
      const onMessage = (data: Buffer): void => {
        const frame = decodeFrame(this.protocol, data);
        if (frame?.channel !== Channel.resize) return;
        clearTimeout(timer);
        this.ws.off('message', onMessage);
        resolve(parseTerminalSize(frame.payload));
      };
      this.ws.on('message', onMessage);
    });
  }

  /** Output of the command on stdout (1) or stderr (2), if the client asked for that stream. */
  output(channel: typeof Channel.stdout | typeof Channel.stderr, data: Buffer): void {
    const wanted = channel === Channel.stdout ? this.options.stdout : this.options.stderr;
    if (wanted && data.length > 0) this.send(channel, data);
  }

  /** Writes the final status and closes normally (1000), so clients see EOF on every stream. */
  finish(status: StreamStatus): void {
    if (this.finished) return;
    this.finished = true;
    const payload = statusPayload(this.protocol, status);
    if (payload) this.send(Channel.status, payload);
    this.ws.close(1000);
  }

  /** Closes without status (the runtime is shutting down). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.ws.close(1001);
  }

  private send(channel: number, payload: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(this.protocol, channel, payload));
  }

  private receive(data: Buffer): void {
    const frame = decodeFrame(this.protocol, data);
    if (!frame || this.finished) return;
    const closed = closedChannel(this.protocol, frame);
    if (closed !== undefined) {
      if (closed === Channel.stdin && this.options.stdin) this.handlers!.stdinEnd();
      return;
    }
    if (frame.channel === Channel.stdin && this.options.stdin) this.handlers!.stdin(frame.payload);
    else if (frame.channel === Channel.resize && this.options.tty) {
      const size = parseTerminalSize(frame.payload);
      if (size) this.handlers!.resize(size);
      else this.log('pods: ignored a malformed resize message');
    }
  }
}
