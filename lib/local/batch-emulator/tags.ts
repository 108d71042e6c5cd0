import { clientError } from './errors';
import { type JsonObject, optionalStringMap } from './request';

/**
 * Tagging restrictions of Batch resources (Batch User Guide, "Tag your AWS Batch resources"): at most 50
 * tags, keys of 1-128 characters, values of at most 256, and the `aws:` prefix is reserved for AWS.
 */
const MAX_TAGS = 50;
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 256;

/** The tags member of a request body (empty when absent). */
export function readTags(body: JsonObject, field = 'tags'): Record<string, string> {
  const tags = optionalStringMap(body, field) ?? {};
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS)
    throw clientError(`${field} holds ${entries.length} tags; at most ${MAX_TAGS}`);
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > MAX_KEY_LENGTH) {
      throw clientError(
        `${field}: a tag key must be 1-${MAX_KEY_LENGTH} characters, got ${JSON.stringify(key)}`,
      );
    }
    if (value.length > MAX_VALUE_LENGTH) {
      throw clientError(`${field}.${key}: a tag value must be at most ${MAX_VALUE_LENGTH} characters`);
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw clientError(`${field}.${key}: the aws: prefix is reserved for AWS use`);
    }
  }
  return tags;
}
