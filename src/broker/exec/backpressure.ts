/**
 * Flow control between the two WebSockets of a relayed session: when the receiving side cannot
 * keep up (its buffered bytes pass a high-water mark) the sending side stops being read, and it
 * is read again once the receiver has drained below a low-water mark. TCP then slows the
 * producer, so a fast command never fills the broker's memory.
 */
import type { WebSocket } from 'ws';

/** Bytes queued on the receiving socket before the source is paused. */
export const HIGH_WATER_MARK = 1024 * 1024;
/** Bytes left queued when the source is resumed. */
export const LOW_WATER_MARK = 256 * 1024;

/** Sends one message to `target`, pausing `source` while `target` is congested. */
export function sendWithBackpressure(target: WebSocket, source: WebSocket, data: Uint8Array | string, isBinary: boolean): void {
  if (target.readyState !== target.OPEN) return;
  target.send(data, { binary: isBinary }, () => {
    if (source.isPaused && target.bufferedAmount <= LOW_WATER_MARK) source.resume();
  });
  if (target.bufferedAmount > HIGH_WATER_MARK && !source.isPaused) source.pause();
}
