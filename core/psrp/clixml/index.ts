export { PSDateTime } from './datetime';
export { DEFAULT_CLIXML_LIMITS, deserializeClixml, type ClixmlLimits } from './deserializer';
export { ClixmlError } from './errors';
export {
  DESERIALIZED_PREFIX,
  ENUM_BASE_TYPE_NAMES,
  psEnum,
  PSObject,
  type DictionaryEntry,
  type PSBaseObject,
  type PSContainer,
  type PSObjectInit,
  type PSValue,
} from './object';
export {
  isPrimitive,
  primitive,
  type PrimitiveKind,
  type PrimitiveOf,
  type PrimitiveValues,
  type ProgressRecordValue,
  type PSPrimitive,
} from './primitives';
export { ARRAY_TYPE_NAMES, HASHTABLE_TYPE_NAMES, serializeClixml, toPSValue, type Serializable } from './serializer';
export { decodeClixmlString, encodeClixmlString } from './string-codec';
export { PSTimeSpan } from './timespan';
export { PSVersion } from './version';
