import type { CustomScheme } from 'electron';
import { ELECTRON_APP_ORIGIN } from '../../core/contract/electron-handshake';
import { contentSecurityPolicy } from '../bridge/content-security-policy';
import { readRendererFile } from '../bridge/static-files';

/**
 * The app's pages come from `app://winrm-desk/`, a privileged standard scheme served from the built
 * renderer — never file:// (which would give the page the whole file system as its origin) and never
 * the network. Every answer carries the CSP, so it holds even if index.html lost its meta tag.
 */
export const APP_SCHEME = 'app';
const APP_HOST = new URL(ELECTRON_APP_ORIGIN).host;
export const APP_ENTRY_URL = `${ELECTRON_APP_ORIGIN}/index.html`;

export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/** The pages reach main only through their MessagePort: they may connect nowhere. */
export const ELECTRON_CONTENT_SECURITY_POLICY = contentSecurityPolicy([]);

export async function serveAppRequest(request: Request, rendererDirectory: string): Promise<Response> {
  const url = new URL(request.url);
  const headers = { 'Content-Security-Policy': ELECTRON_CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' };
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || request.method !== 'GET') {
    return new Response(null, { status: 404, headers });
  }
  const file = await readRendererFile(rendererDirectory, url);
  if (file === undefined) return new Response(null, { status: 404, headers });
  return new Response(new Uint8Array(file.body), {
    status: 200,
    headers: { ...headers, 'Content-Type': file.contentType },
  });
}
