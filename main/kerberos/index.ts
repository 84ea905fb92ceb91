/** Kerberos for WinRM connections: the IO half (KDC over TCP, krb5.conf, credential cache). */
export { kerberosMechanism, prepareKerberos, type KerberosOptions, type PreparedKerberos } from './kerberos-client';
export { locateKdcs, type KdcLocation, type SrvResolver } from './kdc-locator';
export { exchangeWithKdc, KdcFramingError, parseKdcAddress, type KdcAddress } from './kdc-transport';
