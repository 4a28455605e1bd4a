/**
 * kittyctx's version: printed by `--version`, reported by the dashboard's health endpoint and recorded in
 * the state files it writes (background owners, merge state, retrospective records).
 */
export const VERSION = "0.1.0"
