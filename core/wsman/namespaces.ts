/**
 * XML namespace URIs of WS-Management as WinRM uses them (PROTOCOL.md §1.2). Elements are matched
 * by these URIs, never by prefix: servers choose their own prefixes (Windows answers with `a:`,
 * `w:`, `p:` where we send `wsa:`, `wsman:`, `wsmv:`).
 */
export const Namespace = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  addressing: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsman: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  /** Microsoft's WS-Management extensions (SessionId, DataLocale, ActivityId). */
  wsmv: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  shell: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  transfer: 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
  enumeration: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
  wsmanFault: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
  config: 'http://schemas.microsoft.com/wbem/wsman/1/config',
  /** PSRP payload elements (creationXml, connectXml, connectResponseXml) live here, unprefixed. */
  powershell: 'http://schemas.microsoft.com/powershell',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

/**
 * The prefixes our requests use (pypsrp's, so our envelopes read like the recorded ones). A namespace
 * missing here is written as the element's default namespace instead.
 */
export const requestPrefixes: ReadonlyMap<string, string> = new Map([
  [Namespace.soap, 's'],
  [Namespace.addressing, 'wsa'],
  [Namespace.wsman, 'wsman'],
  [Namespace.wsmv, 'wsmv'],
  [Namespace.shell, 'rsp'],
  [Namespace.transfer, 'wst'],
  [Namespace.enumeration, 'wsen'],
  [Namespace.config, 'cfg'],
  [Namespace.xml, 'xml'],
]);
