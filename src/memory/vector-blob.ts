import { GatewayError } from "../shared/errors.js";

/**
 * Refuses a vector an embeddings upstream returned that cannot be stored as a unit vector: empty,
 * all zeros, or with a value that is not a finite number (the store scales the rest to unit length).
 */
export function checkEmbedding(values: readonly number[]): void {
  let squares = 0;
  for (const value of values) {
    if (!Number.isFinite(value)) throw new GatewayError("malformed_response", "the embeddings upstream returned a value that is not a finite number");
    squares += value * value;
  }
  if (values.length === 0 || squares === 0) throw new GatewayError("malformed_response", "the embeddings upstream returned an empty or all-zero vector");
}

/** A stored vector's values (Float32 little-endian). */
export function blobToVector(blob: Uint8Array): Float32Array {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const values = new Float32Array(blob.byteLength / 4);
  for (let index = 0; index < values.length; index++) values[index] = view.getFloat32(index * 4, true);
  return values;
}
