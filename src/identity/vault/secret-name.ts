import { invalidRequest } from "../../shared/errors.js";

/** 1–128 characters of letters, digits and . _ : / - (so names read well in "vault:NAME" refs). */
const secretNamePattern = /^[A-Za-z0-9._:/-]{1,128}$/;

export const secretNameRule = "1-128 characters of A-Z a-z 0-9 . _ : / -";

export function isSecretName(name: string): boolean {
  return secretNamePattern.test(name);
}

/** Throws invalid_request (param "name") unless `name` is a valid secret name. */
export function checkSecretName(name: string): void {
  if (!isSecretName(name)) throw invalidRequest("name", `a secret name must be ${secretNameRule}`);
}
