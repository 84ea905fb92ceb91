import { primitive, PSObject, toPSValue, type PSValue, type Serializable } from '../../clixml';

/**
 * Secrets the application hands to the pool. The pool writes them as SecureStrings (`SS`),
 * encrypted with the session key (or, when both peers speak 2.4, as base64 of the text), and
 * starts the key exchange first if it has not happened yet.
 */
export class SecureText {
  constructor(readonly text: string) {}

  /** Keeps the secret out of logs and string interpolation. */
  toString(): string {
    return '[SecureText]';
  }

  toJSON(): string {
    return this.toString();
  }
}

/** A PSCredential: a user name and a password that travels as a SecureString. */
export class Credential {
  constructor(
    readonly userName: string,
    readonly password: SecureText,
  ) {}
}

/**
 * A value the application sends (a command argument, a pipeline input object, a host-call answer).
 * SecureText and Credential are recognised as the value itself, not inside arrays or Maps.
 */
export type OutgoingValue = Serializable | SecureText | Credential;

/** Whether writing `value` needs the SecureString codec. */
export function holdsSecret(value: OutgoingValue): boolean {
  return value instanceof SecureText || value instanceof Credential;
}

/** Encrypts SecureString text into the base64 of an `SS` element. */
export type EncryptSecret = (text: string) => string;

/** The wire form of a value; `encrypt` is only called when the value holds a secret. */
export function outgoingValue(value: OutgoingValue, encrypt: EncryptSecret): PSValue {
  if (value instanceof SecureText) return primitive('SecureString', encrypt(value.text));
  if (value instanceof Credential) return credentialObject(value.userName, encrypt(value.password.text));
  return toPSValue(value);
}

/** PSCredential as PowerShell serializes it: adapted UserName and Password (`SS`). */
export function credentialObject(userName: string, encryptedPassword: string): PSObject {
  return new PSObject({
    typeNames: ['System.Management.Automation.PSCredential', 'System.Object'],
    toStringText: 'System.Management.Automation.PSCredential',
    adaptedProperties: [
      ['UserName', primitive('String', userName)],
      ['Password', primitive('SecureString', encryptedPassword)],
    ],
  });
}
