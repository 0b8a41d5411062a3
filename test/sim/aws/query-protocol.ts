/**
 * The AWS query protocol as STS speaks it: parameters from a form body or the query string,
 * answers as namespaced XML, or as JSON when the client's Accept asks for it (as
 * aws-iam-authenticator does).
 */
import type { ServerResponse } from 'node:http';

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** A result field; `undefined` fields are left out, dates render as ISO 8601 (XML) or epoch seconds (JSON). */
export type Field = string | number | Date | undefined | { [name: string]: Field };

/** A failure answered as an STS ErrorResponse. */
export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = 'StsError';
  }
}

/** Whether the caller asked for JSON rather than XML. */
export function wantsJson(accept: string | undefined): boolean {
  return accept !== undefined && /\bapplication\/json\b/i.test(accept) && !/xml/i.test(accept);
}

/** How one answer is written: its request id, JSON or XML, and the sim clock for the Date header. */
export interface Reply {
  requestId: string;
  json: boolean;
  now: number;
}

/** Writes `<{action}Response><{action}Result>…` with ResponseMetadata. */
export function writeResult(res: ServerResponse, action: string, result: Record<string, Field>, reply: Reply): void {
  const { requestId, json } = reply;
  if (json) {
    const body = {
      [`${action}Response`]: { [`${action}Result`]: toJson(result), ResponseMetadata: { RequestId: requestId } },
    };
    send(res, 200, 'application/json', JSON.stringify(body), reply);
    return;
  }
  const xml =
    `<${action}Response xmlns="${STS_XMLNS}">\n` +
    `  <${action}Result>\n${toXml(result, 4)}  </${action}Result>\n` +
    `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
    `</${action}Response>\n`;
  send(res, 200, 'text/xml', xml, reply);
}

/** Writes an ErrorResponse with Type, Code and Message. */
export function writeError(res: ServerResponse, err: StsError, reply: Reply): void {
  const { requestId, json } = reply;
  if (json) {
    const body = { Error: { Code: err.code, Message: err.message, Type: err.type }, RequestId: requestId };
    send(res, err.status, 'application/json', JSON.stringify(body), reply);
    return;
  }
  const xml =
    `<ErrorResponse xmlns="${STS_XMLNS}">\n  <Error>\n` +
    `    <Type>${err.type}</Type>\n    <Code>${escapeXml(err.code)}</Code>\n    <Message>${escapeXml(err.message)}</Message>\n` +
    `  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
  send(res, err.status, 'text/xml', xml, reply);
}

function send(res: ServerResponse, status: number, contentType: string, body: string, reply: Reply): void {
  res.writeHead(status, {
    'x-amzn-RequestId': reply.requestId,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    // SDKs correct their clock skew from this header, so it follows the sim's clock.
    date: new Date(reply.now).toUTCString(),
  });
  res.end(body);
}

function toXml(fields: Record<string, Field>, indent: number): string {
  const pad = ' '.repeat(indent);
  let out = '';
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (typeof value === 'object' && !(value instanceof Date)) {
      out += `${pad}<${name}>\n${toXml(value, indent + 2)}${pad}</${name}>\n`;
    } else {
      out += `${pad}<${name}>${escapeXml(scalarText(value))}</${name}>\n`;
    }
  }
  return out;
}

function toJson(fields: Record<string, Field>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (value instanceof Date) out[name] = value.getTime() / 1000;
    else out[name] = typeof value === 'object' ? toJson(value) : value;
  }
  return out;
}

function scalarText(value: string | number | Date): string {
  return value instanceof Date ? value.toISOString().replace(/\.\d{3}Z$/, 'Z') : String(value);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
