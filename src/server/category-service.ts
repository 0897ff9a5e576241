/** TaskService's category RPCs: pause, resume and limits. Converts at the edge, delegates to the scheduler. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  CategorySettingsSchema,
  PauseCategoryResponseSchema,
  ResumeCategoryResponseSchema,
  SetCategoryLimitsResponseSchema,
  type TaskService,
} from "@gobq/sdk/gen/task_service_pb.js";
import type { CategorySettings as DomainSettings } from "../task/category-settings.js";
import type { TaskScheduler } from "../scheduler/task-scheduler.js";
import type { ErrorLog } from "./errors.js";
import { guardUnary } from "./guard.js";

type CategoryHandlers = Pick<ServiceImpl<typeof TaskService>, "pauseCategory" | "resumeCategory" | "setCategoryLimits">;

/** The handlers of PauseCategory, ResumeCategory and SetCategoryLimits, for `router.service(TaskService, …)`. */
export function categoryHandlers(deps: { scheduler: TaskScheduler; log: ErrorLog }): CategoryHandlers {
  const { scheduler, log } = deps;
  return {
    pauseCategory: guardUnary(log, "PauseCategory", async (req) => {
      const settings = await scheduler.updateCategory({ category: req.category, paused: true });
      return create(PauseCategoryResponseSchema, { settings: settingsToProto(settings) });
    }),
    resumeCategory: guardUnary(log, "ResumeCategory", async (req) => {
      const settings = await scheduler.updateCategory({ category: req.category, paused: false });
      return create(ResumeCategoryResponseSchema, { settings: settingsToProto(settings) });
    }),
    setCategoryLimits: guardUnary(log, "SetCategoryLimits", async (req) => {
      const settings = await scheduler.updateCategory({
        category: req.category,
        maxRunning: req.maxRunning,
        maxStartsPerSecond: req.maxStartsPerSecond,
      });
      return create(SetCategoryLimitsResponseSchema, { settings: settingsToProto(settings) });
    }),
  };
}

function settingsToProto(s: DomainSettings) {
  return create(CategorySettingsSchema, {
    category: s.category,
    paused: s.paused,
    maxRunning: s.maxRunning,
    maxStartsPerSecond: s.maxStartsPerSecond,
  });
}
