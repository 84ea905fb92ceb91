export { SpnegoContext } from './context';
export type { GssMechanism } from './gss-mechanism';
export {
  decodeNegotiationToken,
  encodeInitialNegTokenInit,
  encodeMechTypeList,
  encodeNegTokenResp,
  MechOid,
  NegState,
  SPNEGO_OID,
  type NegHints,
  type NegotiationToken,
  type NegTokenInit,
  type NegTokenResp,
} from './tokens';
