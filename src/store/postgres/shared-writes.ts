/**
 * The deciding writes of `SharedStore`: enqueue, lease, modify, sweep. Each runs inside one
 * transaction on `client` (see postgres-store.ts) and ends the same way: tasks that became
 * ready get the next readySeq, the saved rows are written in one statement, and their
 * changes are announced with NOTIFY (delivered on commit).
 */
import type pg from "pg";
import { admitStarts, takeTokens } from "../../task/category-settings.js";
import type { Lease, Task } from "../../task/task.js";
import { checkStorable } from "../check-storable.js";
import { copyTask } from "../copy-task.js";
import type { TaskEdit, TaskEditOutcome, TaskLeaseManyParams, TaskModifyParams, TaskSweepDueParams } from "../shared-store.js";
import { countStarted, lockCategory, saveBucket } from "./category-queries.js";
import { notifyChanges } from "./notify.js";
import type { SchemaNames } from "./schema.js";
import { selectTasks } from "./task-queries.js";
import { insertTasks, upsertTasks } from "./task-writes.js";

/** `taskEnqueueMany`: inserts the tasks whose idempotency key no stored or earlier task has. */
export async function enqueueTasks(
  client: pg.PoolClient,
  names: SchemaNames,
  tasks: readonly Task[],
  now: number,
): Promise<Array<{ task: Task; deduplicated: boolean }>> {
  tasks.forEach(checkStorable);
  const keys = [...new Set(tasks.flatMap((task) => (task.idempotencyKey === undefined ? [] : [task.idempotencyKey])))];
  const byKey = new Map<string, Task>();
  if (keys.length > 0) {
    // One lock per key, taken in hash order so that two batches cannot deadlock; a replica
    // enqueueing the same key waits here until this transaction commits, then finds its row.
    await client.query(
      `SELECT pg_advisory_xact_lock(hashtext($1), h)
      FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY h) AS locks`,
      [names.schema, keys],
    );
    const stored = await selectTasks(
      client,
      names,
      "WHERE idempotency_key = ANY($1::text[]) ORDER BY idempotency_key, id",
      [keys],
    );
    // Ordered by id within a key: the first seen is the oldest.
    for (const task of stored) if (!byKey.has(task.idempotencyKey!)) byKey.set(task.idempotencyKey!, task);
  }
  const inserted: Task[] = [];
  const results = tasks.map((given) => {
    const earlier = given.idempotencyKey === undefined ? undefined : byKey.get(given.idempotencyKey);
    if (earlier) return { task: earlier, deduplicated: true };
    const task = copyTask(given);
    if (task.idempotencyKey !== undefined) byKey.set(task.idempotencyKey, task);
    inserted.push(task);
    return { task, deduplicated: false };
  });
  await assignReadySeqs(client, names, inserted, now);
  await insertTasks(client, names, inserted);
  await notifyChanges(client, names, inserted);
  // A task returned twice (deduplicated within this call) must not be one shared object.
  return results.map(({ task, deduplicated }) => ({ task: deduplicated ? copyTask(task) : task, deduplicated }));
}

/**
 * `taskLeaseMany`: claims ready tasks in leasing order, skipping rows others hold, and starts
 * and saves each. A category without settings is leased in one statement that reads no
 * settings row and locks none (the fast path). Only when that finds nothing is the
 * category's row looked for; if there is one, it is locked — so the leases of every replica
 * in the category take turns — and its settings decide how many may start.
 */
export async function leaseTasks(client: pg.PoolClient, names: SchemaNames, params: TaskLeaseManyParams): Promise<Task[]> {
  checkPositive(params.limit);
  const unconfigured = await selectReady(client, names, params, params.limit, true);
  if (unconfigured.length > 0) return editAndSave(client, names, unconfigured, params.now, params.start, () => true);
  const locked = await lockCategory(client, names, params.category);
  if (locked === undefined) return [];
  const { settings, bucket } = locked;
  const running = settings.maxRunning > 0 ? await countStarted(client, names, params.category) : 0;
  const admission = admitStarts({ settings, wanted: params.limit, running, bucket, now: params.now });
  const ready = admission.allowed > 0 ? await selectReady(client, names, params, admission.allowed, false) : [];
  const leased = await editAndSave(client, names, ready, params.now, params.start, () => true);
  if (admission.bucket) await saveBucket(client, names, params.category, takeTokens(admission.bucket, leased.length));
  if (admission.allowed === 0) params.onHeld?.({ reason: admission.held!, retryAt: admission.retryAt });
  return leased;
}

/** Locks up to `limit` ready tasks in leasing order; with `unconfigured`, none if the category has settings. */
function selectReady(
  client: pg.PoolClient,
  names: SchemaNames,
  params: TaskLeaseManyParams,
  limit: number,
  unconfigured: boolean,
): Promise<Task[]> {
  const values: unknown[] = [params.category, limit];
  let nameSql = "";
  if (params.names !== undefined && params.names.length > 0) {
    values.push(params.names);
    nameSql = "AND name = ANY($3::text[])";
  }
  // Not correlated with the row: evaluated once per statement.
  const settingsSql = unconfigured ? `AND NOT EXISTS (SELECT 1 FROM ${names.categories} WHERE category = $1)` : "";
  return selectTasks(
    client,
    names,
    `WHERE category = $1 AND status = 'pending' AND ready_seq IS NOT NULL ${nameSql} ${settingsSql}
    ORDER BY priority_rank DESC, ready_seq LIMIT $2 FOR UPDATE SKIP LOCKED`,
    values,
  );
}

/** `taskModify`: one edit of `modifyTasks`; the change's error, if any, propagates and nothing is saved. */
export async function modifyTask<T>(
  client: pg.PoolClient,
  names: SchemaNames,
  params: TaskModifyParams<T>,
): Promise<{ task: Task; value: T } | undefined> {
  const [outcome] = await modifyTasks(client, names, { now: params.now, edits: [{ id: params.id, change: params.change }] });
  if (outcome !== undefined && "error" in outcome) throw outcome.error;
  return outcome as { task: Task; value: T } | undefined;
}

/**
 * `taskModifyMany`: locks the tasks named (waiting for other replicas' locks, in id order),
 * applies the edits in order, saves each task whose seq rose or whose lease changed.
 */
export async function modifyTasks(
  client: pg.PoolClient,
  names: SchemaNames,
  params: { now: number; edits: readonly TaskEdit[] },
): Promise<TaskEditOutcome[]> {
  const ids = [...new Set(params.edits.map((e) => e.id))].sort();
  const locked = await selectTasks(client, names, "WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE", [ids]);
  const byId = new Map(locked.map((task) => [task.id, task]));
  // Copied: a change may edit the lease in place. A heartbeat extends the lease without
  // raising seq; it must be saved all the same.
  const before = new Map(locked.map((task) => [task.id, { seq: task.seq, lease: task.lease && { ...task.lease } }]));
  const outcomes = params.edits.map((edit): TaskEditOutcome => {
    const task = byId.get(edit.id);
    if (task === undefined) return undefined;
    const undo = copyTask(task);
    try {
      const value = edit.change(task);
      return { task: copyTask(task), value }; // as this edit left it: a later edit of the task may change it again
    } catch (error) {
      Object.assign(task, undo);
      return { error };
    }
  });
  const changed = (task: Task) => task.seq > before.get(task.id)!.seq || !sameLease(task.lease, before.get(task.id)!.lease);
  await editAndSave(client, names, locked, params.now, () => {}, changed);
  // The last edit of a task gets it as saved (with the readySeq the save may have given it).
  return outcomes.map((o) => {
    if (o === undefined || "error" in o) return o;
    const saved = byId.get(o.task.id)!;
    return saved.seq === o.task.seq && sameLease(saved.lease, o.task.lease) ? { task: copyTask(saved), value: o.value } : o;
  });
}

/** `taskSweepDue`: locks due tasks, earliest due first, skipping rows others hold, and edits and saves each. */
export async function sweepDueTasks(client: pg.PoolClient, names: SchemaNames, params: TaskSweepDueParams): Promise<Task[]> {
  checkPositive(params.limit);
  const due = await selectTasks(
    client,
    names,
    "WHERE due_at <= $1 ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
    [params.now, params.limit],
  );
  return editAndSave(client, names, due, params.now, params.change, () => true);
}

/**
 * Lets `edit` change each locked task, then saves those `saves` picks (readySeq assigned as
 * the SharedStore module comment says) and announces them. Returns the saved tasks, in the
 * order given. An error from `edit` propagates before anything is written, and the
 * transaction rolls back.
 */
async function editAndSave(
  client: pg.PoolClient,
  names: SchemaNames,
  tasks: readonly Task[],
  now: number,
  edit: (task: Task) => void,
  saves: (task: Task) => boolean,
): Promise<Task[]> {
  tasks.forEach(edit);
  const saved = tasks.filter(saves);
  await assignReadySeqs(client, names, saved, now);
  await upsertTasks(client, names, saved);
  await notifyChanges(client, names, saved);
  return saved;
}

/**
 * Gives each PENDING task without a readySeq whose runAt is unset or ≤ now the next value of
 * the schema's sequence (ascending in the order given) and `readyAt = now`.
 */
async function assignReadySeqs(client: pg.PoolClient, names: SchemaNames, tasks: readonly Task[], now: number): Promise<void> {
  const due = tasks.filter(
    (task) => task.status === "pending" && task.readySeq === undefined && (task.runAt === undefined || task.runAt <= now),
  );
  if (due.length === 0) return;
  const { rows } = await client.query<{ n: number }>("SELECT nextval($1::regclass) AS n FROM generate_series(1, $2)", [
    names.readySeq,
    due.length,
  ]);
  // Another transaction may draw from the sequence meanwhile: sort, so order follows the tasks.
  const seqs = rows.map((row) => row.n).sort((a, b) => a - b);
  due.forEach((task, i) => {
    task.readySeq = seqs[i];
    task.readyAt = now;
  });
}

function sameLease(a: Lease | undefined, b: Lease | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.workerId === b.workerId && a.token === b.token && a.expiresAt === b.expiresAt && a.durationMs === b.durationMs;
}

function checkPositive(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${String(limit)}`);
}
