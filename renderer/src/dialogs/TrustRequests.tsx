import { useEffect, useState } from 'react';
import type { AppClient } from '../../../core/contract/app-contract';
import type { HostList } from '../../../core/contract/host-service';
import type { TrustRequest } from '../../../core/contract/trust-service';
import { TrustDialog } from './TrustDialog';

/**
 * Main's open trust questions, one dialog at a time in the order asked: those pending when the window
 * opened, then each `onDidRequestTrust`. A request settled elsewhere (answered in another window, or
 * abandoned by its connection) leaves the queue.
 */
export function TrustRequests({
  trust,
  hostList,
}: {
  readonly trust: AppClient['trust'];
  readonly hostList: HostList | undefined;
}) {
  const [queue, setQueue] = useState<readonly TrustRequest[]>([]);

  useEffect(() => {
    const add = (requests: readonly TrustRequest[]) =>
      setQueue((current) => [
        ...current,
        ...requests.filter((request) => !current.some((known) => known.requestId === request.requestId)),
      ]);
    const remove = (requestId: string) =>
      setQueue((current) => current.filter((request) => request.requestId !== requestId));
    const subscriptions = [
      trust.onDidRequestTrust((request) => add([request])),
      trust.onDidSettleTrustRequest(({ requestId }) => remove(requestId)),
    ];
    trust.pendingRequests().then(add, () => undefined);
    return () => subscriptions.forEach((subscription) => subscription.dispose());
  }, [trust]);

  const request = queue[0];
  if (request === undefined) return null;
  const host = hostList?.hosts.find((candidate) => candidate.id === request.hostId);
  const group = hostList?.groups.find((candidate) => candidate.id === request.groupId);
  return (
    <TrustDialog
      key={request.requestId}
      request={request}
      hostLabel={host?.name ?? request.hostName}
      groupLabel={group?.name}
      trust={trust}
      onAnswered={() => setQueue((current) => current.filter((known) => known.requestId !== request.requestId))}
    />
  );
}
