/**
 * Coalesces output frames that reach the relay in one turn of the event loop. When a command
 * writes faster than the relay masks, several frames wait in the socket at once; masking and
 * sending them as one payload saves a masker pass (each pass rescans its held tail and context)
 * and a WebSocket send per frame. Only consecutive frames of one channel are joined, so the order
 * of stdout and stderr is kept exactly; a batch goes out when the channel changes, when it reaches
 * its size cap, before any other message is handled, or at the end of the turn: an interactive
 * session, whose frames come one at a time, is never held back.
 */

/** Where batches go and how large they grow. */
export interface OutputBatchOptions {
  /** Receives each batch, in arrival order. */
  emit: (channel: number, payload: Uint8Array) => void;
  /** A batch is sent once it holds this many bytes. */
  maxBytes: number;
  /** Runs `flush` after the frames already received have been handled; default `setImmediate`. */
  schedule?: (flush: () => void) => void;
}

/** Collects output frames; `flush` sends what it holds. */
export interface OutputBatch {
  add(channel: number, payload: Uint8Array): void;
  /** Emits the pending batch, if any; call before anything that must follow the output so far. */
  flush(): void;
}

/** The relay's cap: the text masker's cost per byte is lowest for chunks of about 64 KiB (measured). */
export const OUTPUT_BATCH_BYTES = 64 * 1024;

/**
 * The parts as one payload, in a buffer that holds the channel byte just before it: like a frame
 * the apiserver sent (channel byte, then payload), so the relay can send it on without another copy
 * (see session.ts `toClient`).
 */
function joinAfterChannel(channel: number, parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const frame = Buffer.allocUnsafe(bytes + 1);
  frame[0] = channel;
  let at = 1;
  for (const part of parts) {
    frame.set(part, at);
    at += part.length;
  }
  return frame.subarray(1);
}

/** Creates an output batch for one session. */
export function createOutputBatch(options: OutputBatchOptions): OutputBatch {
  const schedule = options.schedule ?? ((flush: () => void) => void setImmediate(flush));
  let channel = -1;
  let parts: Uint8Array[] = [];
  let bytes = 0;
  let scheduled = false;

  const flush = (): void => {
    if (parts.length === 0) return;
    const payload = parts.length === 1 ? parts[0]! : joinAfterChannel(channel, parts, bytes);
    const to = channel;
    parts = [];
    bytes = 0;
    options.emit(to, payload);
  };
  const onTurnEnd = (): void => {
    scheduled = false;
    flush();
  };

  return {
    add(next, payload) {
      if (payload.length === 0) return;
      if (next !== channel || bytes + payload.length > options.maxBytes) flush();
      channel = next;
      parts.push(payload);
      bytes += payload.length;
      if (bytes >= options.maxBytes) {
        flush();
        return;
      }
      if (!scheduled) {
        scheduled = true;
        schedule(onTurnEnd);
      }
    },
    flush,
  };
}
