import { useEffect, useState } from 'react';
import type { HostServiceClient } from '../../../core/contract/app-contract';
import type { HostList as HostListData } from '../../../core/contract/host-service';

/** The saved hosts, kept current through onDidChangeHosts. */
export function HostList({ hosts }: { hosts: HostServiceClient }) {
  const [list, setList] = useState<HostListData | undefined>();
  const [problem, setProblem] = useState<string | undefined>();

  useEffect(() => {
    const subscription = hosts.onDidChangeHosts((changed) => {
      setProblem(undefined);
      setList(changed);
    });
    hosts.list().then(setList, (error: unknown) => setProblem(error instanceof Error ? error.message : String(error)));
    return () => subscription.dispose();
  }, [hosts]);

  if (problem !== undefined) {
    return (
      <p className="problem" role="alert">
        {problem}
      </p>
    );
  }
  if (list === undefined) return <p role="status">Loading the saved hosts…</p>;
  const groupNames = new Map(list.groups.map((group) => [group.id, group.name]));
  return (
    <section aria-labelledby="saved-hosts-title">
      <h2 id="saved-hosts-title">Saved hosts</h2>
      {list.hosts.length === 0 ? (
        <p>No saved hosts yet. Add one below.</p>
      ) : (
        <ul aria-labelledby="saved-hosts-title" className="host-list">
          {list.hosts.map((host) => (
            <li key={host.id} aria-label={host.name}>
              <span className="host-name">{host.name}</span>{' '}
              <span className="host-detail">
                {host.address}:{host.port} · {host.transport.toUpperCase()} · {host.auth}
                {host.user === '' ? '' : ` · ${host.user}`}
                {host.groupId === undefined ? '' : ` · ${groupNames.get(host.groupId) ?? ''}`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
