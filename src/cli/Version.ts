/** The version printed by `--version` and reported by the dashboard's health endpoint. */
export const VERSION = "0.1.0"
