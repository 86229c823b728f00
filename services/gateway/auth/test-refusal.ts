import { expect } from "vitest";
import { HttpProblem } from "../problems.js";

/** Test helper: awaits a refusal and returns its `reason`, asserting it is a 401 problem. */
export async function refusalReason(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpProblem);
  expect((err as HttpProblem).status).toBe(401);
  return String((err as HttpProblem).extensions["reason"]);
}
