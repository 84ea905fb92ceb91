import { useId, useState } from 'react';
import type { HostServiceClient } from '../../../core/contract/app-contract';
import { ContractError } from '../../../core/contract/contract-error';
import type { FieldProblem } from '../../../core/contract/field-problems';
import { fieldProblems } from '../../../core/contract/field-problems';
import { AUTH_METHODS, hostProfileDraftSchema, TRANSPORTS } from '../../../core/contract/host-profile';

const AUTH_LABELS: Readonly<Record<(typeof AUTH_METHODS)[number], string>> = {
  negotiate: 'Negotiate',
  basic: 'Basic',
  certificate: 'Certificate',
  ntlm: 'NTLM',
  kerberos: 'Kerberos',
  credssp: 'CredSSP',
};

interface FormValues {
  name: string;
  address: string;
  port: string;
  transport: (typeof TRANSPORTS)[number];
  auth: (typeof AUTH_METHODS)[number];
  user: string;
}

const EMPTY: FormValues = { name: '', address: '', port: '', transport: 'https', auth: 'negotiate', user: '' };

/** The essentials of a new host; the defaults (HTTPS 5986, Negotiate) apply to what is left blank. */
export function AddHostForm({ hosts }: { hosts: HostServiceClient }) {
  const [values, setValues] = useState(EMPTY);
  const [problems, setProblems] = useState<readonly FieldProblem[]>([]);
  const [failure, setFailure] = useState<string | undefined>();
  const [saving, setSaving] = useState(false);
  const formId = useId();

  const draft = () => ({
    name: values.name,
    address: values.address,
    transport: values.transport,
    auth: values.auth,
    user: values.user,
    ...(values.port.trim() === '' ? {} : { port: Number(values.port) }),
  });

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    const checked = hostProfileDraftSchema.safeParse(draft());
    if (!checked.success) {
      setProblems(fieldProblems(checked.error));
      return;
    }
    setProblems([]);
    setSaving(true);
    try {
      await hosts.add({ draft: draft() });
      setValues(EMPTY);
    } catch (error) {
      if (error instanceof ContractError && error.problems !== undefined) {
        setProblems(error.problems.map(({ field, message }) => ({ field: field.replace(/^draft\./, ''), message })));
      } else {
        setFailure(error instanceof Error ? error.message : String(error));
      }
    } finally {
      setSaving(false);
    }
  };

  const field = (name: keyof FormValues, label: string, input: (props: FieldProps) => React.ReactNode) => {
    const id = `${formId}-${name}`;
    const problem = problems.find((candidate) => candidate.field === name)?.message;
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        {input({
          id,
          value: values[name],
          onChange: (value: string) => setValues((current) => ({ ...current, [name]: value })),
          'aria-invalid': problem === undefined ? undefined : true,
          'aria-describedby': problem === undefined ? undefined : `${id}-problem`,
        })}
        {problem === undefined ? null : (
          <p id={`${id}-problem`} className="problem">
            {problem}
          </p>
        )}
      </div>
    );
  };

  const otherProblems = problems.filter(
    (problem) => !(['name', 'address', 'port', 'transport', 'auth', 'user'] as string[]).includes(problem.field),
  );

  return (
    <form aria-labelledby={`${formId}-title`} onSubmit={submit} noValidate>
      <h2 id={`${formId}-title`}>Add a host</h2>
      {field('name', 'Name', (props) => (
        <TextInput {...props} />
      ))}
      {field('address', 'Address', (props) => (
        <TextInput {...props} placeholder="server01.corp.example.com" />
      ))}
      {field('transport', 'Transport', (props) => (
        <SelectInput {...props} options={TRANSPORTS.map((transport) => [transport, transport.toUpperCase()])} />
      ))}
      {field('port', 'Port', (props) => (
        <TextInput {...props} inputMode="numeric" placeholder={values.transport === 'https' ? '5986' : '5985'} />
      ))}
      {field('auth', 'Authentication', (props) => (
        <SelectInput {...props} options={AUTH_METHODS.map((method) => [method, AUTH_LABELS[method]])} />
      ))}
      {field('user', 'User', (props) => (
        <TextInput {...props} placeholder="DOMAIN\user" />
      ))}
      {otherProblems.map((problem) => (
        <p key={problem.field + problem.message} className="problem" role="alert">
          {problem.message}
        </p>
      ))}
      {failure === undefined ? null : (
        <p className="problem" role="alert">
          {failure}
        </p>
      )}
      <button type="submit" disabled={saving}>
        Add host
      </button>
    </form>
  );
}

interface FieldProps {
  id: string;
  value: string;
  onChange: (value: string) => void;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

function TextInput({
  onChange,
  ...props
}: FieldProps & { placeholder?: string; inputMode?: React.HTMLAttributes<HTMLInputElement>['inputMode'] }) {
  return <input type="text" {...props} onChange={(event) => onChange(event.target.value)} />;
}

function SelectInput({
  onChange,
  options,
  ...props
}: FieldProps & { options: readonly (readonly [string, string])[] }) {
  return (
    <select {...props} onChange={(event) => onChange(event.target.value)}>
      {options.map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </select>
  );
}
