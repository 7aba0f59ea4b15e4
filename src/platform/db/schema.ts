/** The platform's own table: installation-wide settings. Modules' tables are composed in src/database.ts. */
export interface SettingsTable {
  key: string;
  value: string;
}

export interface PlatformTables {
  settings: SettingsTable;
}
