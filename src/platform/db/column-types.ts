import type { ColumnType } from 'kysely';

/** Column types as the drivers hand them back (select) and as we write them (insert, update). */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
/** JSON columns are written as serialized text and read back parsed (pg and PGlite both parse jsonb). */
export type Json<T> = ColumnType<T, string, string>;
export type NullableJson<T> = ColumnType<T | null, string | null, string | null>;
/** bigint columns come back from pg as strings; repositories convert at the edge. */
export type BigIntColumn = ColumnType<string, string | number | bigint, string | number | bigint>;
export type NullableBigIntColumn = ColumnType<
  string | null,
  string | number | bigint | null,
  string | number | bigint | null
>;
