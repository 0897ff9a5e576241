/**
 * How this driver's connections parse column values: set per pool, never globally, so other
 * users of `pg` in the process keep its defaults.
 */
import pg from "pg";

const INT8_OID = 20;
const JSON_OID = 114;

/**
 * bigint columns (times, seq numbers, counts) become numbers, refusing any a number cannot
 * hold exactly; JSON columns stay text, so that NULL (undefined) and JSON null stay apart.
 */
export const TYPE_PARSERS: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === INT8_OID) return parseInt8;
    if (oid === JSON_OID) return (value: string) => value;
    return format === "binary" ? pg.types.getTypeParser(oid, "binary") : pg.types.getTypeParser(oid, "text");
  }) as pg.CustomTypesConfig["getTypeParser"],
};

function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`a bigint column holds ${value}, which is not a safe integer`);
  return n;
}
