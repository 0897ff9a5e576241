/**
 * Task ids and lease tokens as drawn references: a seeded task, an unknown UUID, or no id at
 * all; the current token, a stale one, a forged one, or none. They are resolved against the
 * fixture a property runs on, and say what the truth is when nothing else is wrong.
 */
import { Code } from "@connectrpc/connect";
import fc from "fast-check";
import { type Drawn, badId } from "./arbitraries.js";
import type { Allowed, Seeded } from "./fixture.js";

/** A seeded task, an unknown but well-formed id, or a malformed one. */
export type IdRef = { seeded: "pending" | "started" | "finished" | "failed" } | { unknown: string } | { malformed: string };

/** An id field; a malformed id is blamed on `name`. */
export const idRef = (name: string): fc.Arbitrary<Drawn<IdRef>> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("pending", "started", "finished", "failed").map((seeded) => ({ value: { seeded }, blame: [] })) },
    { weight: 1, arbitrary: fc.uuid().map((unknown) => ({ value: { unknown }, blame: [] })) },
    { weight: 1, arbitrary: badId.map((malformed) => ({ value: { malformed }, blame: [name] })) },
  );

/** The id an IdRef stands for in `s`. */
export function idOf(ref: IdRef, s: Seeded): string {
  if ("seeded" in ref) return s[ref.seeded];
  return "unknown" in ref ? ref.unknown : ref.malformed;
}

/** The started task's current lease token, its stale one, a forged one, or none. */
export type TokenRef = "current" | "stale" | { forged: string } | "";

/** A lease_token field; the empty token is blamed on `name`. */
export const tokenRef = (name: string): fc.Arbitrary<Drawn<TokenRef>> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<TokenRef>("current", "stale").map((value) => ({ value, blame: [] })) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 60 }).map((forged) => ({ value: { forged }, blame: [] })) },
    { weight: 1, arbitrary: fc.constant({ value: "" as TokenRef, blame: [name] }) },
  );

/** The token a TokenRef stands for in `s`. */
export function tokenOf(ref: TokenRef, s: Seeded): string {
  if (ref === "current") return s.token;
  if (ref === "stale") return s.staleToken;
  return ref === "" ? "" : ref.forged;
}

/** What a call that proves a lease gets when its fields are valid: NOT_FOUND, LEASE_LOST, or success. */
export function leaseTruth(id: IdRef, token: TokenRef): Allowed | "success" {
  if ("unknown" in id) return { codes: [Code.NotFound], reason: "TASK_NOT_FOUND" };
  if ("seeded" in id && id.seeded === "started" && token === "current") return "success";
  return { codes: [Code.FailedPrecondition], reason: "LEASE_LOST" };
}

/** What a call naming a task by id gets when its fields are valid. */
export function idTruth(id: IdRef): Allowed | "success" {
  return "unknown" in id ? { codes: [Code.NotFound], reason: "TASK_NOT_FOUND" } : "success";
}
