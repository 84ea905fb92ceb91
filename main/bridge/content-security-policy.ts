/**
 * The Content-Security-Policy of every window (DESIGN.md §7), for the Electron shell and the bridge
 * alike: only the app's own scripts, no eval, no plugins, no frames, no remote content. Styles allow
 * inline because xterm.js and React set style attributes and xterm inserts its own style element.
 * `connect` lists where the page may open connections (the bridge's WebSocket; none in Electron).
 */
export function contentSecurityPolicy(connect: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.length > 0 ? connect.join(' ') : "'none'"}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
