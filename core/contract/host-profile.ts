import { z } from 'zod';
import { isDnsName, isHostAddress } from './network-names';

/**
 * A saved host (DESIGN.md §1 step 1): everything needed to connect except secrets. There is no field for a
 * password, a key or any other secret, and the objects are strict, so a secret smuggled in under any key is
 * rejected rather than saved (DESIGN.md §7). Messages are written for the person filling in the form.
 *
 * Optional text fields accept '' from a form and store it as absent.
 */

export const TRANSPORTS = ['https', 'http'] as const;
export type Transport = (typeof TRANSPORTS)[number];
export const DEFAULT_PORT: Readonly<Record<Transport, number>> = { https: 5986, http: 5985 };

export const AUTH_METHODS = ['negotiate', 'basic', 'certificate', 'ntlm', 'kerberos', 'credssp'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const SHELL_TYPES = ['powershell', 'cmd'] as const;
export type ShellType = (typeof SHELL_TYPES)[number];

/** `auto` encrypts over HTTP when the auth method can and relies on TLS over HTTPS; never plaintext by surprise. */
export const MESSAGE_ENCRYPTION_MODES = ['auto', 'always', 'never'] as const;
export type MessageEncryption = (typeof MESSAGE_ENCRYPTION_MODES)[number];

/** Ansible's WinRM defaults (connection, read and operation timeout). */
export const DEFAULT_TIMEOUTS = { connectSeconds: 30, readSeconds: 30, operationSeconds: 20 } as const;

/** Auth methods that have no session key, hence no WinRM message encryption. */
const AUTH_WITHOUT_ENCRYPTION: readonly AuthMethod[] = ['basic', 'certificate'];

const CONTROL_CHARACTERS = /\p{Cc}/u;
/** Session configuration names end up in a resource URI path segment. */
const CONFIGURATION_NAME = /^[^\s/\\?#&<>"']+$/;
const SPN_SERVICE = /^[A-Za-z][A-Za-z0-9]*$/;

const unknownSettingMessage = (issue: z.core.$ZodRawIssue): string | undefined =>
  issue.code === 'unrecognized_keys'
    ? `Unknown setting ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}: a host profile holds connection settings only, never passwords or keys.`
    : undefined;

const idSchema = z.uuid({ error: 'The id must be a UUID.' });

const addressSchema = z
  .string({ error: 'Enter the host name or IP address.' })
  .trim()
  .overwrite((text) => text.replace(/^\[(.*)\]$/, '$1'))
  .min(1, { error: 'Enter the host name or IP address.', abort: true })
  .refine((text) => !/^[a-z][a-z\d+.-]*:\/\//i.test(text) && !text.includes('/'), {
    error: 'Enter only the host name or IP address, without https:// or a path.',
    abort: true,
  })
  .refine((text) => !/^[^:]+:\d*$/.test(text), {
    error: 'Enter the port in the Port field, not after the host name.',
    abort: true,
  })
  .refine(isHostAddress, { error: 'This is not a valid host name or IP address.' });

const portMessage = 'The port is a whole number from 1 to 65535.';
const portSchema = z.int({ error: portMessage }).min(1, { error: portMessage }).max(65535, { error: portMessage });

/** Free text a user types, without control characters; blank is allowed and means "not set" where optional. */
const plainText = (maxLength: number, what: string) =>
  z
    .string({ error: `${what} must be text.` })
    .trim()
    .max(maxLength, { error: `${what} is limited to ${maxLength} characters.` })
    .refine((text) => !CONTROL_CHARACTERS.test(text), { error: `${what} cannot contain control characters.` });

const isAbsolutePath = (text: string) =>
  text.startsWith('/') || /^[A-Za-z]:[\\/]/.test(text) || text.startsWith('\\\\');

/** Where the client certificate and its key live: a file, or an entry in the OS keychain. Never the key itself. */
export const clientCertificateReferenceSchema = z.discriminatedUnion(
  'source',
  [
    z.strictObject({
      source: z.literal('file'),
      path: z
        .string()
        .trim()
        .refine((text) => !text.includes('-----BEGIN'), {
          error: 'Choose the certificate file; do not paste the certificate or key here.',
          abort: true,
        })
        .refine(isAbsolutePath, { error: 'Choose the certificate file by its full path.' }),
    }),
    z.strictObject({
      source: z.literal('keychain'),
      account: plainText(256, 'The keychain entry name').min(1, { error: 'Name the keychain entry.' }),
    }),
  ],
  { error: 'The client certificate is either a file or a keychain entry.' },
);
export type ClientCertificateReference = z.output<typeof clientCertificateReferenceSchema>;

const timeoutSeconds = (what: string, max: number) => {
  const message = `The ${what} timeout is a whole number of seconds from 1 to ${max}.`;
  return z.int({ error: message }).min(1, { error: message }).max(max, { error: message });
};

export const timeoutsSchema = z
  .strictObject(
    {
      connectSeconds: timeoutSeconds('connect', 3600).default(DEFAULT_TIMEOUTS.connectSeconds),
      readSeconds: timeoutSeconds('read', 86_400).default(DEFAULT_TIMEOUTS.readSeconds),
      operationSeconds: timeoutSeconds('operation', 3600).default(DEFAULT_TIMEOUTS.operationSeconds),
    },
    { error: unknownSettingMessage },
  )
  // The server answers an idle Receive after the operation timeout; reading must outlast it.
  .refine((timeouts) => timeouts.readSeconds > timeouts.operationSeconds, {
    error: 'The read timeout must be longer than the operation timeout.',
    path: ['readSeconds'],
  });

const proxyUrlSchema = z
  .string()
  .trim()
  .refine((text) => text === '' || URL.canParse(text), {
    error: 'Enter the proxy as a URL, e.g. http://proxy:3128.',
    abort: true,
  })
  .refine((text) => text === '' || /^https?:$/.test(new URL(text).protocol), {
    error: 'The proxy URL starts with http:// or https://.',
    abort: true,
  })
  .refine((text) => text === '' || (new URL(text).username === '' && new URL(text).password === ''), {
    error: 'Leave proxy credentials out of the URL; they are never stored in a profile.',
  });

export const advancedOptionsSchema = z.strictObject(
  {
    /** Kerberos service class; absent means HTTP first, then host and WSMAN (DESIGN.md §3). */
    spnService: z
      .string()
      .trim()
      .refine((text) => text === '' || SPN_SERVICE.test(text), {
        error: 'The SPN service is one word, e.g. HTTP or WSMAN.',
      })
      .optional(),
    /** The name Kerberos and the certificate check use instead of the address (e.g. connect by IP). */
    spnHostname: z
      .string()
      .trim()
      .refine((text) => text === '' || isDnsName(text), { error: 'The SPN host name must be a host name.' })
      .optional(),
    channelBinding: z.boolean().default(true),
    messageEncryption: z
      .enum(MESSAGE_ENCRYPTION_MODES, { error: 'Message encryption is auto, always or never.' })
      .default('auto'),
    /** Absent: 150 KiB until the server reports protocol 2.2 or later, then 500 KiB (PROTOCOL.md §1.10). */
    maxEnvelopeSizeKiB: z
      .int({ error: 'The envelope size is a whole number of KiB from 32 to 65535.' })
      .min(32, { error: 'The envelope size is a whole number of KiB from 32 to 65535.' })
      .max(65_535, { error: 'The envelope size is a whole number of KiB from 32 to 65535.' })
      .optional(),
    timeouts: timeoutsSchema.prefault({}),
    proxyUrl: proxyUrlSchema.optional(),
    /** The user agreed to delegate their password to this host with CredSSP (DESIGN.md §7). */
    credSspConsent: z.boolean().default(false),
    clientCertificate: clientCertificateReferenceSchema.optional(),
  },
  { error: unknownSettingMessage },
);
export type AdvancedOptions = z.output<typeof advancedOptionsSchema>;

const hostSettingsShape = {
  name: plainText(100, 'The name').min(1, { error: 'Give the host a name.' }),
  groupId: idSchema.optional(),
  address: addressSchema,
  /** Absent: the transport's default port. */
  port: portSchema.optional(),
  transport: z.enum(TRANSPORTS, { error: 'Choose HTTPS or HTTP.' }).default('https'),
  auth: z
    .enum(AUTH_METHODS, {
      error: 'Choose an authentication method: Negotiate, Basic, Certificate, NTLM, Kerberos or CredSSP.',
    })
    .default('negotiate'),
  /** `DOMAIN\user`, `user@REALM` or a local user; blank when the method needs none (certificate, Kerberos cache). */
  user: plainText(256, 'The user name').default(''),
  /** A session configuration (JEA endpoint); absent means the server's default, Microsoft.PowerShell. */
  configurationName: plainText(256, 'The configuration name')
    .refine((text) => text === '' || CONFIGURATION_NAME.test(text), {
      error: 'The configuration name cannot contain spaces, slashes or ? # & < > quotes.',
    })
    .optional(),
  shell: z.enum(SHELL_TYPES, { error: 'The shell is PowerShell or cmd.' }).default('powershell'),
  advanced: advancedOptionsSchema.prefault({}),
};

type HostSettings = z.output<z.ZodObject<typeof hostSettingsShape>>;

/** Settings that are valid one by one but cannot work together; reported on the field to change. */
function checkCombination(settings: HostSettings, context: z.RefinementCtx): void {
  const { auth, transport, advanced } = settings;
  if (auth === 'certificate' && transport !== 'https') {
    context.addIssue({ code: 'custom', path: ['transport'], message: 'Certificate authentication needs HTTPS.' });
  }
  if (auth === 'certificate' && advanced.clientCertificate === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['advanced', 'clientCertificate'],
      message: 'Choose the client certificate for certificate authentication.',
    });
  }
  if (AUTH_WITHOUT_ENCRYPTION.includes(auth) && advanced.messageEncryption === 'always') {
    context.addIssue({
      code: 'custom',
      path: ['advanced', 'messageEncryption'],
      message: 'Basic and certificate authentication cannot encrypt messages: choose auto or never.',
    });
  }
  if (auth === 'basic' && transport === 'http' && advanced.messageEncryption === 'auto') {
    context.addIssue({
      code: 'custom',
      path: ['advanced', 'messageEncryption'],
      message:
        'Basic over HTTP cannot be encrypted: use HTTPS, another method, or set message encryption to never on purpose.',
    });
  }
}

const blankAsAbsent = (text: string | undefined) => (text === '' ? undefined : text);

/** Fills what depends on other fields and drops blank optional text, so stored profiles have one form. */
function normalize<T extends HostSettings>(settings: T): T & { port: number } {
  const { advanced } = settings;
  return {
    ...settings,
    port: settings.port ?? DEFAULT_PORT[settings.transport],
    configurationName: blankAsAbsent(settings.configurationName),
    advanced: {
      ...advanced,
      spnService: blankAsAbsent(advanced.spnService),
      spnHostname: blankAsAbsent(advanced.spnHostname),
      proxyUrl: blankAsAbsent(advanced.proxyUrl),
    },
  };
}

/** What the add/edit form submits: a host without its id and usage record. */
export const hostProfileDraftSchema = z
  .strictObject(hostSettingsShape, { error: unknownSettingMessage })
  .superRefine(checkCombination)
  .transform(normalize);
export type HostProfileDraft = z.output<typeof hostProfileDraftSchema>;
export type HostProfileDraftInput = z.input<typeof hostProfileDraftSchema>;

export const hostProfileSchema = z
  .strictObject(
    {
      id: idSchema,
      ...hostSettingsShape,
      /** When a session to this host last opened (ISO 8601 with offset). */
      lastUsed: z.iso.datetime({ offset: true, error: 'lastUsed must be an ISO 8601 date and time.' }).optional(),
    },
    { error: unknownSettingMessage },
  )
  .superRefine(checkCombination)
  .transform(normalize);
export type HostProfile = z.output<typeof hostProfileSchema>;
export type HostProfileInput = z.input<typeof hostProfileSchema>;

export const hostGroupSchema = z.strictObject(
  {
    id: idSchema,
    name: plainText(100, 'The group name').min(1, { error: 'Give the group a name.' }),
  },
  { error: unknownSettingMessage },
);
export type HostGroup = z.output<typeof hostGroupSchema>;
