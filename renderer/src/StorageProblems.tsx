import { useEffect, useState } from 'react';
import type { AppClient } from '../../core/contract/app-contract';
import type { StoreStatus } from '../../core/contract/storage-service';

/** A store file main could not read, said plainly, with its backup and the choice to start it empty. */
export function StorageProblems({ storage }: { storage: AppClient['storage'] }) {
  const [statuses, setStatuses] = useState<readonly StoreStatus[]>([]);

  useEffect(() => {
    const subscription = storage.onDidChangeStorageStatus(setStatuses);
    storage.status().then(setStatuses, () => undefined);
    return () => subscription.dispose();
  }, [storage]);

  return (
    <>
      {statuses.map((status) =>
        status.state === 'unreadable' ? (
          <div key={status.store} role="alert" className="banner">
            <p>{status.message}</p>
            <button type="button" onClick={() => void storage.startEmpty({ store: status.store })}>
              Start with empty {status.store === 'hosts' ? 'host list' : status.store}
            </button>
          </div>
        ) : null,
      )}
    </>
  );
}
