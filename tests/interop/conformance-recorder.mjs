// Preloaded into the conformance suite (`node --import <this> …/index.js`)
// by .ci/conformance: records every HTTP request the suite sends (server
// scenarios: its clients' fetch and undici.request) or receives (client
// scenarios: its test servers), one JSON line each in $MCP_CONFORMANCE_RECORD,
// so tests/tests/conformance.rs can check that each JSON-RPC message became a
// span. It only observes: bodies and answers pass through untouched.
//
// A line: {"direction": "sent"|"received", "http": "POST", "url": "…",
//          "session": "<mcp-session-id or null>", "status": <the HTTP status
//          of a sent request; null when received or failed>,
//          "body": <the JSON body, or null>}
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';

const file = process.env.MCP_CONFORMANCE_RECORD;

function record(entry) {
  if (file) appendFileSync(file, JSON.stringify(entry) + '\n');
}

function parse(text) {
  if (typeof text !== 'string' || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function header(headers, name) {
  if (!headers) return null;
  if (typeof headers.get === 'function') return headers.get(name);
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return null;
}

// --- sent: fetch ----------------------------------------------------------------
const originalFetch = globalThis.fetch;
globalThis.fetch = async function recordedFetch(input, init = {}) {
  const url = typeof input === 'string' ? input : input?.url ?? String(input);
  const entry = {
    direction: 'sent',
    http: (init.method ?? input?.method ?? 'GET').toUpperCase(),
    url,
    session: header(init.headers ?? input?.headers, 'mcp-session-id') ?? null,
    status: null,
    body: parse(init.body)
  };
  try {
    const response = await originalFetch.call(this, input, init);
    entry.status = response.status;
    return response;
  } finally {
    record(entry);
  }
};

// --- sent: undici.request (the DNS-rebinding scenario sets Host by hand) ---------
// The suite imports undici (CommonJS) after this preload ran, so its named
// import sees the wrapped function.
try {
  const suiteRequire = createRequire(process.argv[1]);
  const undici = suiteRequire('undici');
  const originalRequest = undici.request;
  undici.request = async function recordedRequest(url, options = {}) {
    const entry = {
      direction: 'sent',
      http: (options.method ?? 'GET').toUpperCase(),
      url: String(url),
      session: header(options.headers, 'mcp-session-id') ?? null,
      status: null,
      body: parse(options.body)
    };
    try {
      const response = await originalRequest.call(this, url, options);
      entry.status = response.statusCode;
      return response;
    } finally {
      record(entry);
    }
  };
} catch (error) {
  process.emitWarning(`conformance-recorder: undici.request not recorded: ${error}`);
}

// --- received: the suite's own HTTP servers (client scenarios) -------------------
const originalEmit = http.Server.prototype.emit;
http.Server.prototype.emit = function recordedEmit(event, request, response, ...rest) {
  if (event === 'request' && request && response) {
    const chunks = [];
    const originalPush = request.push;
    // Tee the body as the parser pushes it, without reading the stream; the
    // line is written when the body ends (the answer may stream for long).
    request.push = function teePush(chunk, ...pushRest) {
      if (chunk === null) {
        record({
          direction: 'received',
          http: request.method,
          url: request.url,
          session: header(request.headers, 'mcp-session-id') ?? null,
          status: null,
          body: parse(Buffer.concat(chunks).toString('utf8'))
        });
      } else if (chunk !== undefined) {
        chunks.push(Buffer.from(chunk));
      }
      return originalPush.call(this, chunk, ...pushRest);
    };
  }
  return originalEmit.call(this, event, request, response, ...rest);
};
