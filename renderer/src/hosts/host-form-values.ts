import type { HostProfile, HostProfileDraftInput, Transport } from '../../../core/contract/host-profile';
import { DEFAULT_PORT, DEFAULT_TIMEOUTS } from '../../../core/contract/host-profile';

/**
 * The add/edit form's values as the inputs hold them (text for numbers, '' for "not set"), and their
 * conversion to the draft the schema checks. The port shows the transport's default and follows the
 * transport until the user types another one.
 */
export interface HostFormValues {
  readonly name: string;
  /** '' for no group. */
  readonly groupId: string;
  readonly address: string;
  readonly transport: Transport;
  readonly port: string;
  /** The user typed the port, so changing the transport leaves it alone. */
  readonly portEdited: boolean;
  readonly auth: HostProfile['auth'];
  readonly user: string;
  readonly configurationName: string;
  readonly shell: HostProfile['shell'];
  readonly spnService: string;
  readonly spnHostname: string;
  readonly channelBinding: boolean;
  readonly messageEncryption: HostProfile['advanced']['messageEncryption'];
  readonly maxEnvelopeSizeKiB: string;
  readonly connectSeconds: string;
  readonly readSeconds: string;
  readonly operationSeconds: string;
  readonly proxyUrl: string;
  readonly credSspConsent: boolean;
  readonly clientCertificateSource: 'none' | 'file' | 'keychain';
  readonly clientCertificatePath: string;
  readonly clientCertificateAccount: string;
}

export function emptyHostFormValues(groupId = ''): HostFormValues {
  return {
    name: '',
    groupId,
    address: '',
    transport: 'https',
    port: String(DEFAULT_PORT.https),
    portEdited: false,
    auth: 'negotiate',
    user: '',
    configurationName: '',
    shell: 'powershell',
    spnService: '',
    spnHostname: '',
    channelBinding: true,
    messageEncryption: 'auto',
    maxEnvelopeSizeKiB: '',
    connectSeconds: String(DEFAULT_TIMEOUTS.connectSeconds),
    readSeconds: String(DEFAULT_TIMEOUTS.readSeconds),
    operationSeconds: String(DEFAULT_TIMEOUTS.operationSeconds),
    proxyUrl: '',
    credSspConsent: false,
    clientCertificateSource: 'none',
    clientCertificatePath: '',
    clientCertificateAccount: '',
  };
}

export function hostFormValuesFromProfile(profile: HostProfile): HostFormValues {
  const { advanced } = profile;
  const certificate = advanced.clientCertificate;
  return {
    name: profile.name,
    groupId: profile.groupId ?? '',
    address: profile.address,
    transport: profile.transport,
    port: String(profile.port),
    portEdited: profile.port !== DEFAULT_PORT[profile.transport],
    auth: profile.auth,
    user: profile.user,
    configurationName: profile.configurationName ?? '',
    shell: profile.shell,
    spnService: advanced.spnService ?? '',
    spnHostname: advanced.spnHostname ?? '',
    channelBinding: advanced.channelBinding,
    messageEncryption: advanced.messageEncryption,
    maxEnvelopeSizeKiB: advanced.maxEnvelopeSizeKiB === undefined ? '' : String(advanced.maxEnvelopeSizeKiB),
    connectSeconds: String(advanced.timeouts.connectSeconds),
    readSeconds: String(advanced.timeouts.readSeconds),
    operationSeconds: String(advanced.timeouts.operationSeconds),
    proxyUrl: advanced.proxyUrl ?? '',
    credSspConsent: advanced.credSspConsent,
    clientCertificateSource: certificate?.source ?? 'none',
    clientCertificatePath: certificate?.source === 'file' ? certificate.path : '',
    clientCertificateAccount: certificate?.source === 'keychain' ? certificate.account : '',
  };
}

/** A transport change; the port follows it unless the user chose one. */
export function withTransport(values: HostFormValues, transport: Transport): HostFormValues {
  return values.portEdited ? { ...values, transport } : { ...values, transport, port: String(DEFAULT_PORT[transport]) };
}

/** Blank means "not set"; anything else goes to the schema as a number (NaN gets the schema's message). */
function numberOrAbsent(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text.trim());
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

export function draftFromHostFormValues(values: HostFormValues): HostProfileDraftInput {
  const clientCertificate =
    values.clientCertificateSource === 'file'
      ? { source: 'file' as const, path: values.clientCertificatePath }
      : values.clientCertificateSource === 'keychain'
        ? { source: 'keychain' as const, account: values.clientCertificateAccount }
        : undefined;
  return {
    name: values.name,
    ...optional('groupId', values.groupId === '' ? undefined : values.groupId),
    address: values.address,
    ...optional('port', numberOrAbsent(values.port)),
    transport: values.transport,
    auth: values.auth,
    user: values.user,
    configurationName: values.configurationName,
    shell: values.shell,
    advanced: {
      spnService: values.spnService,
      spnHostname: values.spnHostname,
      channelBinding: values.channelBinding,
      messageEncryption: values.messageEncryption,
      ...optional('maxEnvelopeSizeKiB', numberOrAbsent(values.maxEnvelopeSizeKiB)),
      timeouts: {
        ...optional('connectSeconds', numberOrAbsent(values.connectSeconds)),
        ...optional('readSeconds', numberOrAbsent(values.readSeconds)),
        ...optional('operationSeconds', numberOrAbsent(values.operationSeconds)),
      },
      proxyUrl: values.proxyUrl,
      credSspConsent: values.credSspConsent,
      ...optional('clientCertificate', clientCertificate),
    },
  };
}

/** The form field a schema problem belongs to: the client certificate's parts share one field. */
export function formFieldOfProblem(path: string): string {
  const field = path.replace(/^draft\./, '');
  return field.startsWith('advanced.clientCertificate') ? 'advanced.clientCertificate' : field;
}
