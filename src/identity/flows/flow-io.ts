/** What an interactive or machine flow may use from the outside world; injected for tests. */
export interface FlowIo {
  /** Writes one line to stderr (instructions for the person; never a token). */
  notify: (line: string) => void;
  /** Opens a URL in the person's browser; only called when the caller is interactive. */
  openUrl: (url: string) => Promise<void>;
  /** Milliseconds since the epoch. */
  now: () => number;
  signal?: AbortSignal;
}
