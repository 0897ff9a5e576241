/** ListTasks paging over the store, the same for every scheduler. */
import { InvalidArgumentError } from "../task/errors.js";
import type { Task } from "../task/task.js";
import { BOUNDS, checkInt, checkName } from "../task/validate.js";
import type { Store } from "../store/store.js";
import type { ListInput } from "./inputs.js";

/**
 * One page of tasks, newest first; `pageToken` is the previous page's `nextPageToken`.
 * `current` swaps a stored row for a newer version held in memory, if any.
 */
export async function listPage(store: Store, input: ListInput, current: (task: Task) => Task = (t) => t): Promise<{ tasks: Task[]; nextPageToken: string }> {
  if (input.category) checkName("category", input.category);
  if (input.name) checkName("name", input.name);
  const pageSize = checkInt("page_size", input.pageSize || 100, 1, BOUNDS.pageSizeMax);
  let beforeId: string | undefined;
  if (input.pageToken) {
    beforeId = Buffer.from(input.pageToken, "base64url").toString();
    if (!/^[0-9a-f-]{36}$/.test(beforeId)) throw new InvalidArgumentError("page_token", "is not a token this server gave");
  }
  const rows = await store.taskList({
    category: input.category || undefined,
    status: input.status,
    name: input.name || undefined,
    beforeId,
    limit: pageSize + 1,
  });
  const page = rows.slice(0, pageSize).map(current);
  const more = rows.length > pageSize;
  const last = page[page.length - 1];
  return { tasks: page, nextPageToken: more && last ? Buffer.from(last.id).toString("base64url") : "" };
}
