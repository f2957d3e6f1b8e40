/** A parsed JSON object (not null, not an array): what every reader of outside JSON checks first. */
export type JsonObject = Record<string, unknown>;

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
