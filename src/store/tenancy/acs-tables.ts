// Tables of migration 0007 (the ACS face's per-application data).

/** One ACS access key of an application (base64, as the connection string carries it). */
export interface AcsAccessKeysTable {
  id: string;
  application_id: string;
  key: string;
  created_at: number;
  /** null = active. */
  revoked_at: number | null;
}

/** The ACS face's settings of one application. */
export interface AcsSettingsTable {
  application_id: string;
  /** Event Grid webhook that receives IncomingCall; null = none. */
  incoming_call_url: string | null;
  updated_at: number;
}
