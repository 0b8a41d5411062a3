/**
 * A small Model Context Protocol client for the end-to-end tests: it drives a real MCP server
 * over stdio the way an AI assistant does (newline-delimited JSON-RPC 2.0, `initialize`, the
 * `notifications/initialized` notification, then `tools/list` and `tools/call`). Every request
 * has a timeout, and the server's stderr is kept so a failing test can say why.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The protocol revision the client asks for; servers may answer with an older one. */
export const MCP_PROTOCOL_VERSION = '2025-06-18';

/** One tool as `tools/list` describes it. */
export interface McpTool {
  name: string;
  description?: string;
  inputSchema?: { properties?: Record<string, unknown>; required?: string[] };
  annotations?: Record<string, unknown>;
}

/** What `tools/call` returns; `text` joins the text parts of `content`. */
export interface McpToolResult {
  isError: boolean;
  text: string;
  content: { type: string; text?: string }[];
}

/** A JSON-RPC error answer, thrown by {@link McpClient.request}. */
export class McpRpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(`MCP error ${code}: ${message}`);
  }
}

export interface McpClientOptions {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A running MCP server over stdio. */
export class McpClient {
  /** What the server answered to `initialize`. */
  serverInfo: { name: string; version: string } | undefined;
  protocolVersion: string | undefined;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private readonly timeoutMs: number;
  private nextId = 1;
  private stderrText = '';
  private exited: string | undefined;
  private readonly closed: Promise<void>;

  private constructor(options: McpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.child = spawn(options.command, [...options.args], { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderrText += d.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.receive(line));
    this.closed = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exited = `exited with ${signal ?? code}`;
        this.failAll(new Error(`MCP server ${this.exited}; stderr: ${this.stderrText.slice(-2000)}`));
        resolve();
      });
    });
    this.child.on('error', (error) => this.failAll(error));
  }

  /** Spawns the server and completes the `initialize` handshake. */
  static async start(options: McpClientOptions): Promise<McpClient> {
    const client = new McpClient(options);
    try {
      const init = (await client.request('initialize', {
        protocolVersion: MCP_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'kgate-e2e', version: '0.1.0' },
      })) as { protocolVersion?: string; serverInfo?: { name: string; version: string } };
      client.serverInfo = init.serverInfo;
      client.protocolVersion = init.protocolVersion;
      client.notify('notifications/initialized');
      return client;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** Everything the server wrote to stderr so far. */
  get stderr(): string {
    return this.stderrText;
  }

  /** Sends a request and resolves with its `result`; rejects on an error answer, exit or timeout. */
  request(method: string, params?: Record<string, unknown>): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error(`MCP server ${this.exited}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`MCP request ${method} timed out after ${this.timeoutMs} ms; stderr: ${this.stderrText.slice(-2000)}`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    });
  }

  notify(method: string, params?: Record<string, unknown>): void {
    this.send({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
  }

  /** All tools, following `nextCursor` pages. */
  async listTools(): Promise<McpTool[]> {
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    do {
      const page = (await this.request('tools/list', cursor ? { cursor } : {})) as { tools: McpTool[]; nextCursor?: string };
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<McpToolResult> {
    const result = (await this.request('tools/call', { name, arguments: args })) as { content?: McpToolResult['content']; isError?: boolean };
    const content = result.content ?? [];
    return { isError: result.isError === true, content, text: content.map((c) => c.text ?? '').join('\n') };
  }

  /** Closes stdin (the stdio transport's shutdown), then SIGTERM and SIGKILL if the server lingers. */
  async close(): Promise<void> {
    if (!this.exited) {
      this.child.stdin.end();
      const term = setTimeout(() => this.child.kill('SIGTERM'), 2_000);
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await this.closed;
      clearTimeout(term);
      clearTimeout(kill);
    }
  }

  private send(message: Record<string, unknown>): void {
    this.child.stdin.write(JSON.stringify(message) + '\n');
  }

  private receive(line: string): void {
    if (!line.trim()) return;
    let message: { id?: number | string; method?: string; result?: unknown; error?: { code: number; message: string; data?: unknown } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      this.stderrText += `[non-JSON on stdout] ${line}\n`;
      return;
    }
    if (message.method !== undefined) {
      // A request from the server (e.g. ping, roots/list): this client offers no capabilities.
      if (message.id !== undefined) this.send({ jsonrpc: '2.0', id: message.id, ...(message.method === 'ping' ? { result: {} } : { error: { code: -32601, message: 'method not found' } }) });
      return;
    }
    const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!pending) return;
    this.pending.delete(message.id as number);
    clearTimeout(pending.timer);
    if (message.error) pending.reject(new McpRpcError(message.error.code, message.error.message, message.error.data));
    else pending.resolve(message.result);
  }

  private failAll(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }
}
