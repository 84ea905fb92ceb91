/** NTLM NegotiateFlags (MS-NLMP 2.2.2.5), by the bit each sets. */
export const NegotiateFlag = {
  unicode: 0x00000001,
  oem: 0x00000002,
  requestTarget: 0x00000004,
  sign: 0x00000010,
  seal: 0x00000020,
  datagram: 0x00000040,
  lmKey: 0x00000080,
  ntlm: 0x00000200,
  anonymous: 0x00000800,
  oemDomainSupplied: 0x00001000,
  oemWorkstationSupplied: 0x00002000,
  alwaysSign: 0x00008000,
  targetTypeDomain: 0x00010000,
  targetTypeServer: 0x00020000,
  extendedSessionSecurity: 0x00080000,
  identify: 0x00100000,
  nonNtSessionKey: 0x00400000,
  targetInfo: 0x00800000,
  version: 0x02000000,
  key128: 0x20000000,
  keyExchange: 0x40000000,
  key56: 0x80000000,
} as const;

/** Whether every bit of `flag` is set in `flags` (flags are unsigned 32-bit; `&` yields signed). */
export const hasFlag = (flags: number, flag: number): boolean => (flags & flag) >>> 0 === flag >>> 0;

/**
 * What the client asks for in NEGOTIATE: Windows SSPI's set for a context with integrity and
 * confidentiality (NTLMv2 with extended session security, 128-bit keys, key exchange, signing and
 * sealing), with TARGET_INFO so the server's CHALLENGE carries the AV pairs NTLMv2 needs.
 */
export const CLIENT_NEGOTIATE_FLAGS =
  (NegotiateFlag.unicode |
    NegotiateFlag.requestTarget |
    NegotiateFlag.sign |
    NegotiateFlag.seal |
    NegotiateFlag.ntlm |
    NegotiateFlag.alwaysSign |
    NegotiateFlag.extendedSessionSecurity |
    NegotiateFlag.targetInfo |
    NegotiateFlag.version |
    NegotiateFlag.key128 |
    NegotiateFlag.keyExchange |
    NegotiateFlag.key56) >>>
  0;
