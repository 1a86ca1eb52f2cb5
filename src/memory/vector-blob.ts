import { GatewayError } from "../shared/errors.js";

/**
 * A vector as it is stored: Float32, little-endian whatever the machine, scaled to unit length so a
 * search's cosine is a dot product. Throws for a vector that is empty, not finite, or all zeros.
 */
export function vectorToBlob(values: readonly number[]): Uint8Array {
  let squares = 0;
  for (const value of values) {
    if (!Number.isFinite(value)) throw new GatewayError("malformed_response", "the embeddings upstream returned a value that is not a finite number");
    squares += value * value;
  }
  if (values.length === 0 || squares === 0) throw new GatewayError("malformed_response", "the embeddings upstream returned an empty or all-zero vector");
  const norm = Math.sqrt(squares);
  const blob = new Uint8Array(values.length * 4);
  const view = new DataView(blob.buffer);
  values.forEach((value, index) => view.setFloat32(index * 4, value / norm, true));
  return blob;
}

/** A stored vector's values. */
export function blobToVector(blob: Uint8Array): Float32Array {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const values = new Float32Array(blob.byteLength / 4);
  for (let index = 0; index < values.length; index++) values[index] = view.getFloat32(index * 4, true);
  return values;
}
