import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

/** The built renderer as files; nothing else is served. Types for what Vite emits. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export interface StaticFileOptions {
  readonly rootDirectory: string;
  /** Headers every response carries (CSP and the other security headers). */
  readonly headers: Readonly<Record<string, string>>;
  /** `127.0.0.1:<port>`: a request naming another host is refused (DNS rebinding). */
  readonly host: string;
}

/**
 * Answers GET and HEAD for files under the root, `/` being `index.html`. Paths that leave the root, name
 * a dot file, or have no known type are 404; a foreign Host is 403; other methods 405. No CORS headers
 * are ever sent, so no other origin can read an answer.
 */
export async function serveStaticFile(
  request: IncomingMessage,
  response: ServerResponse,
  options: StaticFileOptions,
): Promise<void> {
  const send = (status: number, headers: Readonly<Record<string, string>> = {}, body?: Uint8Array) => {
    response.writeHead(status, { ...options.headers, 'Cache-Control': 'no-store', ...headers });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  if (request.headers.host !== options.host) return send(403);
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, { Allow: 'GET, HEAD' });
  const file = await readRendererFile(options.rootDirectory, new URL(request.url ?? '/', 'http://bridge.invalid'));
  if (file === undefined) return send(404);
  send(200, { 'Content-Type': file.contentType, 'Content-Length': String(file.body.length) }, file.body);
}

/**
 * The file of the built renderer a URL names (its path only), shared by the bridge and the Electron
 * shell's `app://` protocol: undefined for a path that leaves the root, names a dot file, has no known
 * type or does not exist.
 */
export async function readRendererFile(
  rootDirectory: string,
  url: URL,
): Promise<{ readonly body: Buffer; readonly contentType: string } | undefined> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
  const relative = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
  if (relative.includes('\0') || relative.split(/[\\/]/).some((part) => part.startsWith('.'))) return undefined;
  const root = path.resolve(rootDirectory);
  const file = path.resolve(root, relative);
  const contentType = CONTENT_TYPES[path.extname(file)];
  if (!file.startsWith(root + path.sep) || contentType === undefined) return undefined;
  try {
    return { body: await readFile(file), contentType };
  } catch {
    return undefined;
  }
}
