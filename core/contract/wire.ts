import { z } from 'zod';
import { errorDtoSchema } from './contract-error';

/**
 * The envelopes that carry the contract over a transport. The renderer sends requests and
 * (un)subscriptions; main sends responses and the events of subscribed `onDid…` members. Payloads are
 * validated separately, against the schema of the method or event the envelope names.
 */

const memberName = z.string().min(1).max(64);
const requestId = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

export const requestMessageSchema = z.strictObject({
  kind: z.literal('request'),
  id: requestId,
  service: memberName,
  method: memberName,
  payload: z.unknown().optional(),
});
export type RequestMessage = z.output<typeof requestMessageSchema>;

export const subscriptionMessageSchema = z.strictObject({
  kind: z.enum(['subscribe', 'unsubscribe']),
  service: memberName,
  event: memberName,
});
export type SubscriptionMessage = z.output<typeof subscriptionMessageSchema>;

export const clientMessageSchema = z.discriminatedUnion('kind', [requestMessageSchema, subscriptionMessageSchema]);
export type ClientMessage = z.output<typeof clientMessageSchema>;

export const responseMessageSchema = z.discriminatedUnion('ok', [
  z.strictObject({ kind: z.literal('response'), id: requestId, ok: z.literal(true), payload: z.unknown().optional() }),
  z.strictObject({ kind: z.literal('response'), id: requestId, ok: z.literal(false), error: errorDtoSchema }),
]);
export type ResponseMessage = z.output<typeof responseMessageSchema>;

export const eventMessageSchema = z.strictObject({
  kind: z.literal('event'),
  service: memberName,
  event: memberName,
  payload: z.unknown().optional(),
});
export type EventMessage = z.output<typeof eventMessageSchema>;

export const serverMessageSchema = z.union([responseMessageSchema, eventMessageSchema]);
export type ServerMessage = z.output<typeof serverMessageSchema>;
