/**
 * The token list of `gobq serve --tokens FILE` (env GOBQ_TOKENS_FILE), or of GOBQ_TOKENS (the
 * same JSON inline, for containers). A JSON array; each entry holds a token or its SHA-256:
 *
 * ```json
 * [
 *   { "token": "4d7f…(at least 16 characters)", "role": "producer", "name": "web-app" },
 *   { "sha256": "<64 hex digits: sha256 of the token's UTF-8 bytes>", "role": "worker" }
 * ]
 * ```
 *
 * `role` is producer, worker or admin; `name` (optional) labels the holder in log lines.
 * A hashed entry lets the file be read by more people than the tokens themselves.
 * No error message quotes the text: a typo must not print a secret to a log.
 */
import { z } from "zod";
import { tokenDigest, type TokenEntry } from "../server/auth.js";
import { ROLES } from "../server/auth-policy.js";

const FIELDS = ["token", "sha256", "role", "name"];
const ROLES_MESSAGE = `must be one of ${ROLES.join(", ")}`;

const entrySchema = z
  .object({
    token: z
      .string()
      .min(16, "must be at least 16 characters (e.g. the output of openssl rand -hex 32)")
      .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces, as it travels in an HTTP header")
      .optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits: the SHA-256 of the token")
      .optional(),
    role: z.enum(ROLES, { errorMap: () => ({ message: ROLES_MESSAGE }) }),
    name: z.string().max(128, "must be at most 128 characters").optional(),
  })
  .strict()
  .refine((e) => (e.token === undefined) !== (e.sha256 === undefined), 'needs either "token" or "sha256", not both');

const listSchema = z.array(entrySchema).min(1, "must list at least one token");

// Zod's own messages may quote what they found (an unknown key could be a token pasted in
// the wrong place); these say what is wrong without it.
const quiet: z.ZodErrorMap = (issue, ctx) => {
  if (issue.code === z.ZodIssueCode.unrecognized_keys) return { message: `has an unknown field; the fields are ${FIELDS.join(", ")}` };
  if (issue.code !== z.ZodIssueCode.invalid_type) return { message: ctx.defaultError };
  if (issue.received === "undefined") return { message: "is required" };
  if (issue.path.at(-1) === "role") return { message: ROLES_MESSAGE };
  return { message: issue.expected === "array" ? "must be a JSON array of entries" : `must be a JSON ${issue.expected}` };
};

/** Parses a token list; throws an Error whose message names the bad entry (1-based) and field. */
export function parseTokenList(text: string): TokenEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the fault; only its position is safe to show.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new Error(`not valid JSON${at === undefined ? "" : ` (at character ${at})`}`);
  }
  const r = listSchema.safeParse(json, { errorMap: quiet });
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const [index, field] = issue.path;
    const where = typeof index === "number" ? `entry ${index + 1}: ${field === undefined ? "" : `${field}: `}` : "";
    throw new Error(`${where}${issue.message}`);
  }
  const seen = new Map<string, number>();
  return r.data.map((e, i) => {
    const sha256 = e.token !== undefined ? tokenDigest(e.token) : Buffer.from(e.sha256!, "hex");
    const first = seen.get(sha256.toString("hex"));
    if (first !== undefined) throw new Error(`entry ${i + 1}: the same token as entry ${first + 1}`);
    seen.set(sha256.toString("hex"), i);
    return { sha256, role: e.role, name: e.name };
  });
}
