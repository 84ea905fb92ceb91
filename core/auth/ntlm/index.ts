export { NtlmContext } from './context';
export { NtlmInitiator, NTLM_OID, type NtlmCredentials, type NtlmOptions } from './initiator';
export { NtlmSessionSecurity, ntlmMessageSealing, type NtlmRole } from './session-security';
export { NtlmIntegrityError, NtlmMessageError } from './errors';
export { channelBindingsHash } from '../channel-bindings';
export { parseNtlmUserName, type NtlmUserName } from './user-name';
