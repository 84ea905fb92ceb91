import { useEffect, useState } from 'react';
import type { HostServiceClient } from '../../../core/contract/app-contract';
import type { HostList } from '../../../core/contract/host-service';
import type { ShownError } from '../dialogs/error-text';
import { shownError } from '../dialogs/error-text';

/** The saved hosts and groups, kept current through onDidChangeHosts; undefined until main answers. */
export function useHostList(hosts: HostServiceClient): { list: HostList | undefined; error: ShownError | undefined } {
  const [list, setList] = useState<HostList | undefined>();
  const [error, setError] = useState<ShownError | undefined>();
  useEffect(() => {
    const subscription = hosts.onDidChangeHosts((changed) => {
      setError(undefined);
      setList(changed);
    });
    hosts.list().then(setList, (failure: unknown) => setError(shownError(failure)));
    return () => subscription.dispose();
  }, [hosts]);
  return { list, error };
}
