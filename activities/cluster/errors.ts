/**
 * Failure types of the cluster activities: the `type` of the ApplicationFailure each throws, so the
 * workflow's retry policy and its error handling can tell them apart (`import type` of
 * {@link ClusterErrorType} in workflow code).
 *
 * | type | retryable | meaning |
 * |---|---|---|
 * | `InvalidClusterInput` | no | the input breaks the contract (empty policy name, generations that disagree) |
 * | `ClusterForbidden` | no | 401/403: the controller's credentials may not do this; a retry cannot help |
 * | `ClusterRequestRejected` | no | 400/404/405/422: the API server refused the request as such (a missing CRD, an object the schema rejects) |
 * | `ClusterConflict` | yes | 409 still there after the activity's own re-read/re-write rounds |
 * | `ClusterUnavailable` | yes | 429, 5xx, timeouts and network errors |
 */
import { ApiException } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';

/** The input breaks the contract. Non-retryable. */
export const InvalidClusterInput = 'InvalidClusterInput';
/** The API server refused the credentials (401/403). Non-retryable. */
export const ClusterForbidden = 'ClusterForbidden';
/** The API server rejected the request itself (400/404/405/422). Non-retryable. */
export const ClusterRequestRejected = 'ClusterRequestRejected';
/** A conflict that outlived the activity's own retries. Retryable. */
export const ClusterConflict = 'ClusterConflict';
/** The API server is unreachable, overloaded or failing (429, 5xx, network). Retryable. */
export const ClusterUnavailable = 'ClusterUnavailable';

/** Every failure type a cluster activity throws. */
export type ClusterErrorType = typeof InvalidClusterInput | typeof ClusterForbidden | typeof ClusterRequestRejected | typeof ClusterConflict | typeof ClusterUnavailable;

/** HTTP status of an API error, or undefined for a network error. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The API server's Status message of an error, or the error text. */
export function apiErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    try {
      const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string } | undefined;
      if (parsed?.message) return `${err.code} ${parsed.message}`;
    } catch {
      /* not a Status */
    }
    return `${err.code} ${String(body).slice(0, 500)}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The failure type an API error maps to. */
export function clusterErrorType(err: unknown): ClusterErrorType {
  const code = apiStatus(err);
  if (code === undefined) return ClusterUnavailable;
  if (code === 401 || code === 403) return ClusterForbidden;
  if (code === 409) return ClusterConflict;
  if (code === 429 || code >= 500) return ClusterUnavailable;
  return ClusterRequestRejected;
}

/** Failure types a retry cannot fix (also set as `nonRetryable` on the failure itself). */
export const NON_RETRYABLE_CLUSTER_ERRORS: readonly ClusterErrorType[] = [InvalidClusterInput, ClusterForbidden, ClusterRequestRejected];

/** Wraps an API error (or any error) thrown while doing `what` as a typed ApplicationFailure. */
export function clusterFailure(what: string, err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const type = clusterErrorType(err);
  return ApplicationFailure.create({
    message: `${what}: ${apiErrorMessage(err)}`,
    type,
    nonRetryable: NON_RETRYABLE_CLUSTER_ERRORS.includes(type),
    ...(err instanceof Error ? { cause: err } : {}),
  });
}

/** A non-retryable failure for input that breaks the contract. */
export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: InvalidClusterInput, nonRetryable: true });
}
