import type { Failure } from '@tributary/core';

/** What a secret's value becomes in logs and errors. */
export const SECRET_MASK = '***';

/**
 * Values shorter than this are not masked. Masking replaces every occurrence in every line: a secret
 * `a` or `42` would turn each line that holds the letter or the number into noise, and hide nothing an
 * attacker could not guess anyway. Such a secret is as weak as it is short.
 */
export const MIN_MASKED_SECRET_LENGTH = 4;

/** Replaces the values of an attempt's secrets in its log lines and error. */
export interface SecretMasker {
  /** `text` with every occurrence of every masked value replaced by {@link SECRET_MASK}. */
  mask(text: string): string;
}

/** A masker that changes nothing: for attempts without secrets. */
export const NO_MASKING: SecretMasker = { mask: (text) => text };

/**
 * A masker of `values`. A value that spans several lines is masked line by line, since logs are read a
 * line at a time: each of its lines of at least {@link MIN_MASKED_SECRET_LENGTH} characters is masked
 * wherever it appears. A value that a task splits across two log lines itself (printing half of it,
 * then the rest after a newline) cannot be recognised, nor can an encoded form of it (base64, hex,
 * URL-encoding) unless that form is given as a value too.
 */
export function createSecretMasker(values: Iterable<string>): SecretMasker {
  const pieces = new Set<string>();
  for (const value of values) {
    for (const line of value.split(/\r?\n/)) {
      if (line.length >= MIN_MASKED_SECRET_LENGTH) pieces.add(line);
    }
  }
  if (pieces.size === 0) return NO_MASKING;
  // Longest first: a value that contains another is masked whole, not around the shorter one.
  const ordered = [...pieces].sort((a, b) => b.length - a.length);
  return {
    mask(text) {
      let masked = text;
      for (const piece of ordered) {
        if (masked.includes(piece)) masked = masked.replaceAll(piece, SECRET_MASK);
      }
      return masked;
    },
  };
}

/**
 * `failure` with its text masked: message, stack, string details (at any depth) and the cause chain.
 * A task's error often quotes what it was working with (`fetch failed for https://…?token=…`).
 */
export function maskFailure(failure: Failure, masker: SecretMasker): Failure {
  if (masker === NO_MASKING) return failure;
  const masked: Failure = { ...failure, message: masker.mask(failure.message) };
  if (failure.stack !== undefined) masked.stack = masker.mask(failure.stack);
  if (failure.details !== undefined) {
    masked.details = maskStrings(failure.details, masker) as Record<string, unknown>;
  }
  if (failure.cause !== undefined) masked.cause = maskFailure(failure.cause, masker);
  return masked;
}

/** How deep {@link maskStrings} goes: details of a task's own error may be cyclic. */
const MAX_DETAILS_DEPTH = 8;

function maskStrings(value: unknown, masker: SecretMasker, depth = 0): unknown {
  if (typeof value === 'string') return masker.mask(value);
  if (value === null || typeof value !== 'object') return value;
  // Cut rather than passed on unmasked.
  if (depth >= MAX_DETAILS_DEPTH) return '[too deep to mask]';
  if (Array.isArray(value)) return value.map((item) => maskStrings(item, masker, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, maskStrings(item, masker, depth + 1)]),
  );
}
